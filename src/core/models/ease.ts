import { type CsrMatrix, transpose } from './interaction-matrix.js';
import { invertSpdInPlace } from './dense-linear-algebra.js';

export interface EaseOptions {
  /** L2 penalty on the item-item weights; default 300. */
  readonly lambda?: number;
  /**
   * Only the most popular items (by number of users) get a row and column of B, which
   * is dense: items² floats of memory and, when users outnumber items, an items x items
   * inversion, O(items³). Defaults to EASE_MAX_INVERTED_ITEMS, or EASE_MAX_DUAL_ITEMS
   * when there are fewer users than items.
   */
  readonly maxItems?: number;
  /** Use the entries' weights instead of 1 for every entry (default false, as in the paper). */
  readonly weighted?: boolean;
}

export interface EaseModel {
  /** Catalog size; scores cover every catalog item. */
  readonly itemCount: number;
  /** Catalog index of each modelled item, most popular first. */
  readonly modelItems: Int32Array;
  /** Model position of each catalog item, or -1 when it was left out. */
  readonly positionOf: Int32Array;
  /** B, modelItems.length squared, row-major: B[i][j] is how much having i predicts j. */
  readonly weights: Float32Array;
}

/**
 * Largest default item count for the items x items inversion (JavaScript, one core, on
 * this project's 2-core machine while busy): the whole fit on 1M interactions took
 * 1.7 s for 1000 items and 15 s for 2500; the inversion alone 7 s for 2000 and 30 s
 * for 3000 items, growing as items³.
 */
export const EASE_MAX_INVERTED_ITEMS = 2500;
/** Largest item count when users are fewer than items: bounded by B's memory (items² floats). */
export const EASE_MAX_DUAL_ITEMS = 12000;

/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders", 2019): the item-item weights
 * minimizing ||X - XB||² + λ||B||² subject to diag(B) = 0, in closed form
 *   P = (XᵀX + λI)^-1,   B = I - P / diag(P)   (column j divided by P_jj).
 * When there are fewer users than items, P comes from the Woodbury identity instead,
 *   P = (I - Xᵀ (λI + XXᵀ)^-1 X) / λ,
 * which inverts a users x users matrix: on MovieLens-small (671 users, 9066 items) this
 * makes the whole catalog affordable.
 */
export function fitEase(matrix: CsrMatrix, options: EaseOptions = {}): EaseModel {
  const lambda = options.lambda ?? 300;
  const weighted = options.weighted === true;
  const activeUsers = countActiveRows(matrix);
  const dual = activeUsers < Math.min(matrix.cols, options.maxItems ?? Number.POSITIVE_INFINITY);
  const maxItems = options.maxItems ?? (dual ? EASE_MAX_DUAL_ITEMS : EASE_MAX_INVERTED_ITEMS);
  const modelItems = mostPopularItems(matrix, maxItems);
  const positionOf = new Int32Array(matrix.cols).fill(-1);
  modelItems.forEach((item, position) => (positionOf[item] = position));
  const restricted = restrictColumns(matrix, positionOf, modelItems.length, weighted);

  const weights =
    activeUsers < modelItems.length
      ? weightsByWoodbury(restricted, lambda)
      : weightsByInverse(restricted, lambda);
  return { itemCount: matrix.cols, modelItems, positionOf, weights };
}

/**
 * score(j) = Σ over history items i of x_i B[i][j]. Items outside the model score
 * -Infinity so that top-k never returns them.
 */
export function scoreEase(
  model: EaseModel,
  items: ArrayLike<number>,
  weights?: ArrayLike<number>,
  out = new Float32Array(model.itemCount),
): Float32Array {
  const size = model.modelItems.length;
  const accumulated = new Float64Array(size);
  for (let position = 0; position < items.length; position++) {
    const row = model.positionOf[items[position]!]!;
    if (row < 0) continue;
    const strength = weights === undefined ? 1 : weights[position]!;
    const base = row * size;
    for (let j = 0; j < size; j++) accumulated[j]! += strength * model.weights[base + j]!;
  }
  out.fill(Number.NEGATIVE_INFINITY);
  for (let j = 0; j < size; j++) out[model.modelItems[j]!] = accumulated[j]!;
  return out;
}

/** B from P = (XᵀX + λI)^-1 inverted directly. */
function weightsByInverse(x: CsrMatrix, lambda: number): Float32Array {
  const size = x.cols;
  const gram = new Float64Array(size * size);
  for (let user = 0; user < x.rows; user++) {
    const start = x.rowPtr[user]!;
    const end = x.rowPtr[user + 1]!;
    for (let a = start; a < end; a++) {
      const row = x.colIdx[a]! * size;
      const strength = x.values[a]!;
      for (let b = start; b < end; b++) gram[row + x.colIdx[b]!]! += strength * x.values[b]!;
    }
  }
  for (let i = 0; i < size; i++) gram[i * size + i]! += lambda;
  invertSpdInPlace(gram, size);
  const weights = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (i !== j) weights[i * size + j] = -gram[i * size + j]! / gram[j * size + j]!;
    }
  }
  return weights;
}

/**
 * B via Woodbury. With M = (λI + XXᵀ)^-1 (users x users) and Q = XᵀMX, P = (I - Q)/λ,
 * so for i ≠ j: B[i][j] = -P_ij / P_jj = Q_ij / (1 - Q_jj). Q is built one row at a
 * time (Q_i = Σ_u x_ui (MX)_u) and written straight into B, so no items² float64
 * matrix is ever held.
 */
function weightsByWoodbury(x: CsrMatrix, lambda: number): Float32Array {
  const users = x.rows;
  const size = x.cols;
  const byItem = transpose(x);

  const kernel = new Float64Array(users * users);
  for (let item = 0; item < size; item++) {
    const start = byItem.rowPtr[item]!;
    const end = byItem.rowPtr[item + 1]!;
    for (let a = start; a < end; a++) {
      const row = byItem.colIdx[a]! * users;
      const strength = byItem.values[a]!;
      for (let b = start; b < end; b++)
        kernel[row + byItem.colIdx[b]!]! += strength * byItem.values[b]!;
    }
  }
  for (let user = 0; user < users; user++) kernel[user * users + user]! += lambda;
  invertSpdInPlace(kernel, users);

  // mx = M X, users x items, accumulated column by column of X (M is symmetric, so
  // column u of M is its row u).
  const mx = new Float64Array(users * size);
  for (let user = 0; user < users; user++) {
    const mRow = user * users;
    for (let entry = x.rowPtr[user]!; entry < x.rowPtr[user + 1]!; entry++) {
      const item = x.colIdx[entry]!;
      const strength = x.values[entry]!;
      for (let other = 0; other < users; other++) {
        mx[other * size + item]! += strength * kernel[mRow + other]!;
      }
    }
  }

  const diagonal = new Float64Array(size);
  for (let item = 0; item < size; item++) {
    let sum = 0;
    for (let entry = byItem.rowPtr[item]!; entry < byItem.rowPtr[item + 1]!; entry++) {
      sum += byItem.values[entry]! * mx[byItem.colIdx[entry]! * size + item]!;
    }
    diagonal[item] = sum;
  }

  const weights = new Float32Array(size * size);
  const qRow = new Float64Array(size);
  for (let item = 0; item < size; item++) {
    qRow.fill(0);
    for (let entry = byItem.rowPtr[item]!; entry < byItem.rowPtr[item + 1]!; entry++) {
      const base = byItem.colIdx[entry]! * size;
      const strength = byItem.values[entry]!;
      for (let j = 0; j < size; j++) qRow[j]! += strength * mx[base + j]!;
    }
    const out = item * size;
    for (let j = 0; j < size; j++) {
      if (j !== item) weights[out + j] = qRow[j]! / (1 - diagonal[j]!);
    }
  }
  return weights;
}

/** Keeps the modelled columns (renumbered to model positions) and the non-empty rows. */
function restrictColumns(
  matrix: CsrMatrix,
  positionOf: Int32Array,
  size: number,
  weighted: boolean,
): CsrMatrix {
  const rowPtr: number[] = [0];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let user = 0; user < matrix.rows; user++) {
    const before = colIdx.length;
    for (let entry = matrix.rowPtr[user]!; entry < matrix.rowPtr[user + 1]!; entry++) {
      const position = positionOf[matrix.colIdx[entry]!]!;
      if (position < 0) continue;
      colIdx.push(position);
      values.push(weighted ? matrix.values[entry]! : 1);
    }
    if (colIdx.length > before) rowPtr.push(colIdx.length);
  }
  return {
    rows: rowPtr.length - 1,
    cols: size,
    rowPtr: Int32Array.from(rowPtr),
    colIdx: Int32Array.from(colIdx),
    values: Float32Array.from(values),
  };
}

function countActiveRows(matrix: CsrMatrix): number {
  let active = 0;
  for (let row = 0; row < matrix.rows; row++)
    if (matrix.rowPtr[row + 1]! > matrix.rowPtr[row]!) active++;
  return active;
}

/** Items with the most users (ties: lower index first). */
function mostPopularItems(matrix: CsrMatrix, limit: number): Int32Array {
  const users = new Int32Array(matrix.cols);
  for (let entry = 0; entry < matrix.colIdx.length; entry++) users[matrix.colIdx[entry]!]!++;
  const order = Array.from({ length: matrix.cols }, (_, item) => item)
    .filter((item) => users[item]! > 0)
    .sort((a, b) => users[b]! - users[a]! || a - b);
  return Int32Array.from(order.slice(0, limit));
}
