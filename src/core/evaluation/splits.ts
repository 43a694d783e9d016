import { createRandom } from '../models/random.js';

/** Positions (row numbers) of the input that go to each side, ascending. */
export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

export interface StratifiedSplitOptions {
  /** Fraction of each group kept for training; default 0.75. */
  readonly ratio?: number;
  readonly seed?: number;
  /** Group by user (default) or by item. */
  readonly by?: 'user' | 'item';
}

/**
 * Random split stratified per user (or per item), the protocol of Microsoft
 * Recommenders' python_stratified_split: every row gets a seeded uniform number, each
 * group's rows are ordered by it, and the row at position p (0-based) of a group of n
 * goes to train when (p + 1) / n <= ratio, the rest to test. Groups of a single row stay
 * in train (a user who is only ever tested cannot be recommended to), where their rule
 * alone would send them to test.
 */
export function stratifiedSplit(
  data: { readonly users: ArrayLike<number>; readonly items: ArrayLike<number> },
  options: StratifiedSplitOptions = {},
): Split {
  const ratio = options.ratio ?? 0.75;
  if (!(ratio > 0 && ratio < 1)) throw new RangeError('ratio must be between 0 and 1');
  const keys = options.by === 'item' ? data.items : data.users;
  const random = createRandom(options.seed ?? 42);
  const draws = new Float64Array(keys.length);
  for (let row = 0; row < draws.length; row++) draws[row] = random.next();

  const isTrain = new Uint8Array(keys.length);
  for (const group of groupRows(keys)) {
    group.sort((a, b) => draws[a]! - draws[b]! || a - b);
    group.forEach((row, position) => {
      if (group.length < 2 || (position + 1) / group.length <= ratio) isTrain[row] = 1;
    });
  }
  return partition(isTrain);
}

/**
 * Per user, the `count` most recent rows go to test (ties: the later row), as long as
 * at least one row stays in train; users with `count` rows or fewer stay in train.
 */
export function leaveLastOut(
  data: { readonly users: ArrayLike<number>; readonly timestamps: ArrayLike<number> },
  count = 1,
): Split {
  const { timestamps } = data;
  const isTrain = new Uint8Array(data.users.length).fill(1);
  for (const group of groupRows(data.users)) {
    if (group.length <= count) continue;
    group.sort((a, b) => timestamps[a]! - timestamps[b]! || a - b);
    for (const row of group.slice(group.length - count)) isTrain[row] = 0;
  }
  return partition(isTrain);
}

/**
 * Everything before a point in time trains, everything after tests: either the
 * earliest `ratio` of rows, or rows strictly before `cutoff`. Closest to production,
 * where a model trained up to now serves the future, but users new after the cut have
 * no training rows.
 */
export function temporalSplit(
  data: { readonly timestamps: ArrayLike<number> },
  options: { readonly ratio: number } | { readonly cutoff: number },
): Split {
  const { timestamps } = data;
  const isTrain = new Uint8Array(timestamps.length);
  if ('cutoff' in options) {
    for (let row = 0; row < timestamps.length; row++)
      if (timestamps[row]! < options.cutoff) isTrain[row] = 1;
  } else {
    const order = Array.from({ length: timestamps.length }, (_, row) => row).sort(
      (a, b) => timestamps[a]! - timestamps[b]! || a - b,
    );
    const trainCount = Math.floor(options.ratio * timestamps.length);
    for (let position = 0; position < trainCount; position++) isTrain[order[position]!] = 1;
  }
  return partition(isTrain);
}

/** The values of `column` at the given rows, e.g. a split's train side of one column. */
export function pickRows(column: ArrayLike<number>, rows: Int32Array): Float64Array {
  return Float64Array.from(rows, (row) => column[row]!);
}

/** Row positions grouped by key, each group in row order. */
function groupRows(keys: ArrayLike<number>): number[][] {
  const groups = new Map<number, number[]>();
  for (let row = 0; row < keys.length; row++) {
    const key = keys[row]!;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(row);
  }
  return [...groups.values()];
}

function partition(isTrain: Uint8Array): Split {
  const train: number[] = [];
  const test: number[] = [];
  for (let row = 0; row < isTrain.length; row++) (isTrain[row] === 1 ? train : test).push(row);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}
