/**
 * Compressed sparse rows: the one matrix layout every model here reads. Rows are users
 * (or items after a transpose); column indexes are sorted within each row so that rows
 * can be merged and intersected linearly.
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row r occupies entries rowPtr[r] .. rowPtr[r + 1] - 1. */
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float32Array;
  /** Latest event time of each entry, when the source events carried times. */
  readonly timestamps?: Float64Array;
}

/** Interactions as parallel columns; users and items are dense indexes 0..n-1. */
export interface InteractionColumns {
  readonly users: ArrayLike<number>;
  readonly items: ArrayLike<number>;
  /** Already-configured type weights; negative for dislike, not-interested and the like. */
  readonly weights: ArrayLike<number>;
  readonly timestamps?: ArrayLike<number>;
}

export interface MatrixBuildOptions {
  /** Row count; defaults to the largest user index + 1 (pass it to keep trailing empty rows). */
  readonly users?: number;
  /** Column count; defaults to the largest item index + 1. */
  readonly items?: number;
  /**
   * When set, each event's weight is multiplied by 0.5^(age / halfLife) before merging,
   * age = referenceTime - timestamp, in the timestamps' unit. Needs timestamps.
   */
  readonly recencyHalfLife?: number;
  /** "Now" for the recency weighting; defaults to the latest timestamp. */
  readonly referenceTime?: number;
}

/**
 * Builds the user x item matrix. Repeated (user, item) events merge into one entry: the
 * weights add up (so a purchase after views counts more, and a dislike can cancel
 * interest) and the entry keeps the latest time.
 */
export function buildInteractionMatrix(
  columns: InteractionColumns,
  options: MatrixBuildOptions = {},
): CsrMatrix {
  const { users, items, weights, timestamps } = columns;
  const count = users.length;
  if (items.length !== count || weights.length !== count) {
    throw new RangeError('users, items and weights must have the same length');
  }
  if (timestamps !== undefined && timestamps.length !== count) {
    throw new RangeError('timestamps must have the same length as users');
  }
  if (options.recencyHalfLife !== undefined && timestamps === undefined) {
    throw new RangeError('recency weighting needs timestamps');
  }
  const rows = options.users ?? maxIndexPlusOne(users);
  const cols = options.items ?? maxIndexPlusOne(items);
  checkIndexes(users, rows, 'user');
  checkIndexes(items, cols, 'item');

  const effectiveWeights = decayedWeights(weights, timestamps, options);
  // Two stable counting sorts (by item, then by user) give row-major order with sorted
  // columns in O(events), so duplicates end up adjacent.
  const byItem = countingSortOrder(items, cols, identityOrder(count));
  const order = countingSortOrder(users, rows, byItem);

  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(count);
  const values = new Float32Array(count);
  const entryTimes = timestamps === undefined ? undefined : new Float64Array(count);
  // Sums in double precision, so many small decayed weights do not lose precision.
  let pendingWeight = 0;
  let entries = 0;
  let previousUser = -1;
  let previousItem = -1;
  for (let position = 0; position < count; position++) {
    const event = order[position]!;
    const user = users[event]!;
    const item = items[event]!;
    const weight = effectiveWeights[event]!;
    if (user === previousUser && item === previousItem) {
      pendingWeight += weight;
      values[entries - 1] = pendingWeight;
      if (entryTimes !== undefined) {
        entryTimes[entries - 1] = Math.max(entryTimes[entries - 1]!, timestamps![event]!);
      }
      continue;
    }
    pendingWeight = weight;
    colIdx[entries] = item;
    values[entries] = weight;
    if (entryTimes !== undefined) entryTimes[entries] = timestamps![event]!;
    rowPtr[user + 1]!++;
    entries++;
    previousUser = user;
    previousItem = item;
  }
  for (let row = 0; row < rows; row++) rowPtr[row + 1]! += rowPtr[row]!;

  return {
    rows,
    cols,
    rowPtr,
    colIdx: colIdx.slice(0, entries),
    values: values.slice(0, entries),
    ...(entryTimes === undefined ? {} : { timestamps: entryTimes.slice(0, entries) }),
  };
}

/** Column view (item x user) with the same entries; rows of the result stay sorted. */
export function transpose(matrix: CsrMatrix): CsrMatrix {
  const { rows, cols, rowPtr, colIdx, values, timestamps } = matrix;
  const nnz = colIdx.length;
  const outPtr = new Int32Array(cols + 1);
  for (let entry = 0; entry < nnz; entry++) outPtr[colIdx[entry]! + 1]!++;
  for (let col = 0; col < cols; col++) outPtr[col + 1]! += outPtr[col]!;
  const cursor = outPtr.slice(0, cols);
  const outIdx = new Int32Array(nnz);
  const outValues = new Float32Array(nnz);
  const outTimes = timestamps === undefined ? undefined : new Float64Array(nnz);
  for (let row = 0; row < rows; row++) {
    for (let entry = rowPtr[row]!; entry < rowPtr[row + 1]!; entry++) {
      const target = cursor[colIdx[entry]!]!++;
      outIdx[target] = row;
      outValues[target] = values[entry]!;
      if (outTimes !== undefined) outTimes[target] = timestamps![entry]!;
    }
  }
  return {
    rows: cols,
    cols: rows,
    rowPtr: outPtr,
    colIdx: outIdx,
    values: outValues,
    ...(outTimes === undefined ? {} : { timestamps: outTimes }),
  };
}

/**
 * Negative entries mean "push this away": they must never count as evidence of interest
 * (positives), but callers want them as per-user exclusions, so they come back as their
 * own matrix with absolute values. Entries that cancelled out to zero go to neither.
 */
export function splitBySign(matrix: CsrMatrix): { positives: CsrMatrix; negatives: CsrMatrix } {
  return {
    positives: filterEntries(
      matrix,
      (value) => value > 0,
      (value) => value,
    ),
    negatives: filterEntries(
      matrix,
      (value) => value < 0,
      (value) => -value,
    ),
  };
}

/** Same pattern, values replaced (e.g. binarized or log-scaled). */
export function mapValues(matrix: CsrMatrix, transform: (value: number) => number): CsrMatrix {
  const values = new Float32Array(matrix.values.length);
  for (let entry = 0; entry < values.length; entry++)
    values[entry] = transform(matrix.values[entry]!);
  return { ...matrix, values };
}

/** Column indexes of one row (a view, not a copy). */
export function rowIndices(matrix: CsrMatrix, row: number): Int32Array {
  return matrix.colIdx.subarray(matrix.rowPtr[row]!, matrix.rowPtr[row + 1]!);
}

/** Values of one row (a view, not a copy). */
export function rowValues(matrix: CsrMatrix, row: number): Float32Array {
  return matrix.values.subarray(matrix.rowPtr[row]!, matrix.rowPtr[row + 1]!);
}

/** Number of stored entries in one row. */
export function rowLength(matrix: CsrMatrix, row: number): number {
  return matrix.rowPtr[row + 1]! - matrix.rowPtr[row]!;
}

function filterEntries(
  matrix: CsrMatrix,
  keep: (value: number) => boolean,
  transform: (value: number) => number,
): CsrMatrix {
  const { rows, rowPtr, colIdx, values, timestamps } = matrix;
  let kept = 0;
  for (let entry = 0; entry < values.length; entry++) if (keep(values[entry]!)) kept++;
  const outPtr = new Int32Array(rows + 1);
  const outIdx = new Int32Array(kept);
  const outValues = new Float32Array(kept);
  const outTimes = timestamps === undefined ? undefined : new Float64Array(kept);
  let out = 0;
  for (let row = 0; row < rows; row++) {
    for (let entry = rowPtr[row]!; entry < rowPtr[row + 1]!; entry++) {
      const value = values[entry]!;
      if (!keep(value)) continue;
      outIdx[out] = colIdx[entry]!;
      outValues[out] = transform(value);
      if (outTimes !== undefined) outTimes[out] = timestamps![entry]!;
      out++;
    }
    outPtr[row + 1] = out;
  }
  return {
    rows,
    cols: matrix.cols,
    rowPtr: outPtr,
    colIdx: outIdx,
    values: outValues,
    ...(outTimes === undefined ? {} : { timestamps: outTimes }),
  };
}

function decayedWeights(
  weights: ArrayLike<number>,
  timestamps: ArrayLike<number> | undefined,
  options: MatrixBuildOptions,
): ArrayLike<number> {
  const halfLife = options.recencyHalfLife;
  if (halfLife === undefined || timestamps === undefined) return weights;
  if (!(halfLife > 0)) throw new RangeError('recencyHalfLife must be positive');
  const reference = options.referenceTime ?? maxOf(timestamps);
  const decayed = new Float64Array(weights.length);
  for (let event = 0; event < weights.length; event++) {
    // Events after the reference time are not boosted above their configured weight.
    const age = Math.max(0, reference - timestamps[event]!);
    decayed[event] = weights[event]! * Math.pow(0.5, age / halfLife);
  }
  return decayed;
}

function identityOrder(count: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

/** Stable counting sort of `order` by keys[order[i]]. */
function countingSortOrder(
  keys: ArrayLike<number>,
  keyCount: number,
  order: Int32Array,
): Int32Array {
  const starts = new Int32Array(keyCount + 1);
  for (let i = 0; i < order.length; i++) starts[keys[order[i]!]! + 1]!++;
  for (let key = 0; key < keyCount; key++) starts[key + 1]! += starts[key]!;
  const sorted = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const event = order[i]!;
    sorted[starts[keys[event]!]!++] = event;
  }
  return sorted;
}

function maxIndexPlusOne(indexes: ArrayLike<number>): number {
  return indexes.length === 0 ? 0 : maxOf(indexes) + 1;
}

function maxOf(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  return max;
}

function checkIndexes(indexes: ArrayLike<number>, bound: number, what: string): void {
  for (let i = 0; i < indexes.length; i++) {
    const index = indexes[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= bound) {
      throw new RangeError(`${what} index ${index} at position ${i} is outside 0..${bound - 1}`);
    }
  }
}
