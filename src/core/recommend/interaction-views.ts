import type { InteractionTypes } from '../domain/interaction.js';
import { type CsrMatrix, buildInteractionMatrix } from '../models/interaction-matrix.js';

/**
 * How interactions become the numbers a model reads. Each event gets a value, the values
 * of one (user, item) pair add up, and the sum's sign decides between interest (> 0) and
 * rejection (< 0):
 *  - `strength`: the type's weight, times the value for rating types (a 5-star rating
 *    counts 5, a purchase 8 by default);
 *  - `presence`: 1 for interest, -1 for rejection, whatever the amounts (what EASE and
 *    the graph models expect);
 *  - `signal`: the configured taste signal (`InteractionTypes.signal`), where a rating
 *    below the midpoint is a rejection.
 * The pipeline's search picks a view per model; training and serving use the same one.
 */
export type InteractionView = 'strength' | 'presence' | 'signal';

export const INTERACTION_VIEWS: readonly InteractionView[] = ['strength', 'presence', 'signal'];

/** The value one event contributes under a view, before merging. */
export function eventValue(
  types: InteractionTypes,
  view: InteractionView,
  type: number,
  value: number,
): number {
  const rating = types.ratingMask[type] === 1 && Number.isFinite(value);
  if (view === 'signal') return types.signal(type, rating ? value : undefined);
  const weight = types.weights[type] ?? 0;
  return rating ? weight * value : weight;
}

/** The merged value of one (user, item) pair under a view. */
export function mergedValue(view: InteractionView, sum: number): number {
  if (view !== 'presence') return sum;
  return sum > 0 ? 1 : sum < 0 ? -1 : 0;
}

/** Interactions as parallel columns, as the read models' histories hold them. */
export interface InteractionLog {
  readonly users: ArrayLike<number>;
  readonly items: ArrayLike<number>;
  readonly types: ArrayLike<number>;
  /** NaN when an interaction had no value. */
  readonly values: ArrayLike<number>;
  /** Unix seconds. */
  readonly times: ArrayLike<number>;
}

/**
 * The user x item matrix of a view over the given rows of the log (all rows when
 * `rows` is omitted). Rows whose user is negative (erased users) are skipped.
 */
export function viewMatrix(
  log: InteractionLog,
  types: InteractionTypes,
  view: InteractionView,
  size: { readonly users: number; readonly items: number },
  rows?: Int32Array,
): CsrMatrix {
  const count = rows === undefined ? log.users.length : rows.length;
  const users = new Int32Array(count);
  const items = new Int32Array(count);
  const weights = new Float64Array(count);
  const times = new Float64Array(count);
  let kept = 0;
  for (let position = 0; position < count; position++) {
    const row = rows === undefined ? position : rows[position]!;
    const user = log.users[row]!;
    if (user < 0) continue;
    users[kept] = user;
    items[kept] = log.items[row]!;
    weights[kept] = eventValue(types, view, log.types[row]!, log.values[row]!);
    times[kept] = log.times[row]!;
    kept++;
  }
  const matrix = buildInteractionMatrix(
    {
      users: users.subarray(0, kept),
      items: items.subarray(0, kept),
      weights: weights.subarray(0, kept),
      timestamps: times.subarray(0, kept),
    },
    size,
  );
  if (view !== 'presence') return matrix;
  const values = new Float32Array(matrix.values.length);
  for (let entry = 0; entry < values.length; entry++)
    values[entry] = mergedValue('presence', matrix.values[entry]!);
  return { ...matrix, values };
}

/** Only the entries above zero (interest), the rest dropped. */
export function positivePart(matrix: CsrMatrix): CsrMatrix {
  let kept = 0;
  for (let entry = 0; entry < matrix.values.length; entry++) if (matrix.values[entry]! > 0) kept++;
  if (kept === matrix.values.length) return matrix;
  const rowPtr = new Int32Array(matrix.rows + 1);
  const colIdx = new Int32Array(kept);
  const values = new Float32Array(kept);
  let out = 0;
  for (let row = 0; row < matrix.rows; row++) {
    for (let entry = matrix.rowPtr[row]!; entry < matrix.rowPtr[row + 1]!; entry++) {
      if (!(matrix.values[entry]! > 0)) continue;
      colIdx[out] = matrix.colIdx[entry]!;
      values[out] = matrix.values[entry]!;
      out++;
    }
    rowPtr[row + 1] = out;
  }
  return { rows: matrix.rows, cols: matrix.cols, rowPtr, colIdx, values };
}
