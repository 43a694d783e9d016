import { type CsrMatrix, transpose } from './interaction-matrix.js';
import { invertSpdInPlace } from './dense-linear-algebra.js';

export interface EaseDualOptions {
  /** L2 penalty on the item-item weights; default 300. */
  readonly lambda?: number;
  /** Use the entries' weights instead of 1 for every entry (default false, as in the paper). */
  readonly weighted?: boolean;
  /**
   * Emphasized denoising (EDLAE, Steck 2020): item j's penalty becomes
   * λ + p / (1 - p) · (XᵀX)_jj, as if each input were dropped out with probability p,
   * which keeps popular items from leaning on themselves. Default 0 (plain EASE).
   */
  readonly dropout?: number;
}

/**
 * EASE kept in its dual (users x users) form, for catalogs with more items than users.
 * EASE's item-item matrix B is items² floats (330 MB for 9,066 items): too big to store
 * as a versioned artifact, to send between threads, or to read per request. With
 * M = (λI + XXᵀ)^-1 and Q = XᵀMX, Woodbury gives B[i][j] = Q_ij / (1 - Q_jj) (i ≠ j), so
 * a history x scores  s = ((x Xᵀ) M X - x ∘ diag(Q)) / (1 - diag(Q)):  one pass over the
 * history's columns of X, one users² product, one pass over X. The model is M, X and
 * diag(Q): a few MB, and the scores are EASE's exactly.
 */
export interface EaseDualModel {
  readonly itemCount: number;
  /** Users with at least one interaction: the side of M. */
  readonly users: number;
  /** X by item (compressed columns): item j's users are itemUsers[itemPtr[j] .. itemPtr[j+1]). */
  readonly itemPtr: Int32Array;
  readonly itemUsers: Int32Array;
  readonly itemValues: Float32Array;
  /** M = (I + X Λ^-1 Xᵀ)^-1, users x users, row-major (Λ: the per-item penalties). */
  readonly kernel: Float32Array;
  /** d_j = x_jᵀ M x_j / λ_j per item; items nobody interacted with are never scored. */
  readonly diagonal: Float32Array;
  /** 1 / λ_j per item. */
  readonly inversePenalty: Float32Array;
}

/** Scratch buffers for scoring, reusable across calls so a request allocates nothing. */
export interface EaseDualScratch {
  readonly userSums: Float64Array;
  readonly projected: Float64Array;
  readonly touchedUsers: Int32Array;
  readonly touchedMark: Uint8Array;
}

export function easeDualScratch(model: EaseDualModel): EaseDualScratch {
  return {
    userSums: new Float64Array(model.users),
    projected: new Float64Array(model.users),
    touchedUsers: new Int32Array(model.users),
    touchedMark: new Uint8Array(model.users),
  };
}

/** Largest user count for which the dual form is used (M is users² floats). */
export const EASE_DUAL_MAX_USERS = 4000;

export function fitEaseDual(matrix: CsrMatrix, options: EaseDualOptions = {}): EaseDualModel {
  const lambda = options.lambda ?? 300;
  if (!(lambda > 0)) throw new RangeError('lambda must be positive');
  const weighted = options.weighted === true;
  // Renumber the users who have interactions: empty rows would only grow M.
  const userOf: number[] = [];
  const rowPtr: number[] = [0];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let user = 0; user < matrix.rows; user++) {
    const before = colIdx.length;
    for (let entry = matrix.rowPtr[user]!; entry < matrix.rowPtr[user + 1]!; entry++) {
      const value = weighted ? matrix.values[entry]! : 1;
      if (!(value > 0)) continue;
      colIdx.push(matrix.colIdx[entry]!);
      values.push(value);
    }
    if (colIdx.length > before) {
      rowPtr.push(colIdx.length);
      userOf.push(user);
    }
  }
  const users = userOf.length;
  if (users > EASE_DUAL_MAX_USERS)
    throw new RangeError(`the dual form holds at most ${EASE_DUAL_MAX_USERS} users`);
  const x: CsrMatrix = {
    rows: users,
    cols: matrix.cols,
    rowPtr: Int32Array.from(rowPtr),
    colIdx: Int32Array.from(colIdx),
    values: Float32Array.from(values),
  };
  const byItem = transpose(x);

  // Per-item penalties: λ, plus the dropout emphasis on popular items.
  const emphasis = options.dropout === undefined ? 0 : options.dropout / (1 - options.dropout);
  if (!(emphasis >= 0) || !Number.isFinite(emphasis))
    throw new RangeError('dropout must be in [0, 1)');
  const inversePenalty = new Float32Array(matrix.cols);
  for (let item = 0; item < byItem.rows; item++) {
    let gram = 0;
    for (let a = byItem.rowPtr[item]!; a < byItem.rowPtr[item + 1]!; a++)
      gram += byItem.values[a]! * byItem.values[a]!;
    inversePenalty[item] = 1 / (lambda + emphasis * gram);
  }

  // I + X Λ^-1 Xᵀ, accumulated item by item (each item adds the outer product of its
  // column, scaled by 1/λ_j); with Λ = λI this is (λI + XXᵀ)/λ.
  const kernel = new Float64Array(users * users);
  for (let item = 0; item < byItem.rows; item++) {
    const start = byItem.rowPtr[item]!;
    const end = byItem.rowPtr[item + 1]!;
    const scale = inversePenalty[item]!;
    for (let a = start; a < end; a++) {
      const row = byItem.colIdx[a]! * users;
      const strength = scale * byItem.values[a]!;
      for (let b = start; b < end; b++)
        kernel[row + byItem.colIdx[b]!]! += strength * byItem.values[b]!;
    }
  }
  for (let user = 0; user < users; user++) kernel[user * users + user]! += 1;
  invertSpdInPlace(kernel, users);

  // d_j = x_jᵀ M x_j / λ_j over item j's column: B[i][j] = (x_iᵀ M x_j / λ_i) / (1 - d_j).
  const diagonal = new Float32Array(matrix.cols);
  const column = new Float64Array(users);
  for (let item = 0; item < byItem.rows; item++) {
    const start = byItem.rowPtr[item]!;
    const end = byItem.rowPtr[item + 1]!;
    if (start === end) continue;
    column.fill(0);
    for (let a = start; a < end; a++) {
      const row = byItem.colIdx[a]! * users;
      const strength = byItem.values[a]!;
      for (let other = 0; other < users; other++) column[other]! += strength * kernel[row + other]!;
    }
    let sum = 0;
    for (let b = start; b < end; b++) sum += byItem.values[b]! * column[byItem.colIdx[b]!]!;
    diagonal[item] = sum * inversePenalty[item]!;
  }
  return {
    itemCount: matrix.cols,
    users,
    itemPtr: byItem.rowPtr,
    itemUsers: byItem.colIdx,
    itemValues: byItem.values,
    kernel: Float32Array.from(kernel),
    diagonal,
    inversePenalty,
  };
}

/**
 * EASE's scores for a history (items with optional strengths): what x B would give.
 * Items nobody interacted with score -Infinity. History items are not removed.
 */
export function scoreEaseDual(
  model: EaseDualModel,
  items: ArrayLike<number>,
  weights?: ArrayLike<number>,
  out: Float32Array = new Float32Array(model.itemCount),
  scratch: EaseDualScratch = easeDualScratch(model),
): Float32Array {
  const { users, itemPtr, itemUsers, itemValues, kernel, diagonal, inversePenalty } = model;
  const { userSums, projected, touchedUsers, touchedMark } = scratch;
  // v = X Λ^-1 x: each history item adds its column, scaled by 1/λ_i.
  let touched = 0;
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    if (item < 0 || item >= model.itemCount) continue;
    const strength = (weights === undefined ? 1 : weights[position]!) * inversePenalty[item]!;
    for (let entry = itemPtr[item]!; entry < itemPtr[item + 1]!; entry++) {
      const user = itemUsers[entry]!;
      if (touchedMark[user] === 0) {
        touchedMark[user] = 1;
        touchedUsers[touched++] = user;
      }
      userSums[user]! += strength * itemValues[entry]!;
    }
  }
  // w = M v, over the touched users only (M is symmetric: row u is column u).
  projected.fill(0);
  for (let t = 0; t < touched; t++) {
    const user = touchedUsers[t]!;
    const factor = userSums[user]!;
    const row = user * users;
    for (let other = 0; other < users; other++) projected[other]! += factor * kernel[row + other]!;
    userSums[user] = 0;
    touchedMark[user] = 0;
  }
  // s_j = Σ_u X_uj w_u, divided by 1 - d_j.
  for (let item = 0; item < model.itemCount; item++) {
    const start = itemPtr[item]!;
    const end = itemPtr[item + 1]!;
    if (start === end) {
      out[item] = Number.NEGATIVE_INFINITY;
      continue;
    }
    let sum = 0;
    for (let entry = start; entry < end; entry++)
      sum += itemValues[entry]! * projected[itemUsers[entry]!]!;
    out[item] = sum / (1 - diagonal[item]!);
  }
  // B has a zero diagonal: take each history item's own term back out.
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    if (item < 0 || item >= model.itemCount || itemPtr[item] === itemPtr[item + 1]) continue;
    const strength = weights === undefined ? 1 : weights[position]!;
    out[item]! -= (strength * diagonal[item]!) / (1 - diagonal[item]!);
  }
  return out;
}
