/**
 * Dense symmetric positive-definite algebra on row-major Float64Array n x n matrices:
 * Cholesky factorization, solves and inversion, for iALS fold-in (k x k) and EASE
 * (items x items). Double precision because EASE's inverse feeds a division by its own
 * diagonal, which magnifies rounding.
 */

/**
 * Rows handled together by the blocked loops below: a block's rows stay in cache while
 * every earlier row streams past once, instead of once per row. That cut inverting
 * 2000 items from about 10 s to a few seconds here; the arithmetic is unchanged.
 */
const ROW_BLOCK = 32;

/**
 * Overwrites the lower triangle of `matrix` with L such that matrix = L L^T (the upper
 * triangle is left as it was). Throws when the matrix is not positive definite.
 * Every entry is a dot product of two row prefixes, L[i][j] = (A[i][j] - L[i,:j].L[j,:j]) / L[j][j].
 */
export function choleskyInPlace(matrix: Float64Array, n: number): void {
  for (let blockStart = 0; blockStart < n; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(n, blockStart + ROW_BLOCK);
    for (let j = 0; j < blockEnd; j++) {
      const rowJ = j * n;
      for (let i = Math.max(blockStart, j); i < blockEnd; i++) {
        const rowI = i * n;
        const value = matrix[rowI + j]! - dotRange(matrix, rowI, matrix, rowJ, j);
        if (i === j) {
          if (!(value > 0)) throw new RangeError(`matrix is not positive definite (pivot ${j})`);
          matrix[rowI + j] = Math.sqrt(value);
        } else {
          matrix[rowI + j] = value / matrix[rowJ + j]!;
        }
      }
    }
  }
}

/** Solves L L^T x = b in place in `rhs`, given the factor from choleskyInPlace. */
export function choleskySolveInPlace(factor: Float64Array, n: number, rhs: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let sum = rhs[i]!;
    for (let p = 0; p < i; p++) sum -= factor[row + p]! * rhs[p]!;
    rhs[i] = sum / factor[row + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = rhs[i]!;
    for (let p = i + 1; p < n; p++) sum -= factor[p * n + i]! * rhs[p]!;
    rhs[i] = sum / factor[i * n + i]!;
  }
}

/** Solves A x = b for symmetric positive-definite A (A is left untouched). */
export function solveSpd(matrix: Float64Array, n: number, rhs: ArrayLike<number>): Float64Array {
  const factor = Float64Array.from(matrix);
  choleskyInPlace(factor, n);
  const solution = Float64Array.from(rhs);
  choleskySolveInPlace(factor, n, solution);
  return solution;
}

/**
 * Inverse of a symmetric positive-definite matrix, computed in place: A = L L^T, then
 * W = L^-1, then A^-1 = W^T W. About n^3 / 2 multiply-adds in all, every one of them in
 * a dot product of two contiguous rows.
 */
export function invertSpdInPlace(matrix: Float64Array, n: number): void {
  choleskyInPlace(matrix, n);
  const inverseTransposed = invertLowerTransposed(matrix, n);
  // (W^T W)[a][b] = Σ_p W[p][a] W[p][b] = (row a of W^T) . (row b of W^T), from max(a, b) on.
  for (let blockStart = 0; blockStart < n; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(n, blockStart + ROW_BLOCK);
    for (let b = blockStart; b < n; b++) {
      for (let a = blockStart; a < Math.min(blockEnd, b + 1); a++) {
        const value = dotRange(inverseTransposed, a * n + b, inverseTransposed, b * n + b, n - b);
        matrix[a * n + b] = value;
        matrix[b * n + a] = value;
      }
    }
  }
}

/**
 * W = L^-1 for the lower-triangular L in `matrix`, returned transposed (row j of the
 * result is column j of W, upper triangular) so that each entry is a row dot product:
 * W[i][j] = (δ_ij - L[i, j:i] . W[j:i, j]) / L[i][i].
 */
function invertLowerTransposed(matrix: Float64Array, n: number): Float64Array {
  const transposed = new Float64Array(n * n);
  for (let blockStart = 0; blockStart < n; blockStart += ROW_BLOCK) {
    const blockEnd = Math.min(n, blockStart + ROW_BLOCK);
    for (let i = blockStart; i < n; i++) {
      const rowI = i * n;
      for (let j = blockStart; j < Math.min(blockEnd, i + 1); j++) {
        const rowJ = j * n;
        const sum = dotRange(matrix, rowI + j, transposed, rowJ + j, i - j);
        transposed[rowJ + i] = ((i === j ? 1 : 0) - sum) / matrix[rowI + i]!;
      }
    }
  }
  return transposed;
}

/** Σ a[aStart + p] b[bStart + p] for p < length, four accumulators for instruction-level parallelism. */
function dotRange(
  a: Float64Array,
  aStart: number,
  b: Float64Array,
  bStart: number,
  length: number,
): number {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let p = 0;
  for (; p + 3 < length; p += 4) {
    sum0 += a[aStart + p]! * b[bStart + p]!;
    sum1 += a[aStart + p + 1]! * b[bStart + p + 1]!;
    sum2 += a[aStart + p + 2]! * b[bStart + p + 2]!;
    sum3 += a[aStart + p + 3]! * b[bStart + p + 3]!;
  }
  for (; p < length; p++) sum0 += a[aStart + p]! * b[bStart + p]!;
  return sum0 + sum1 + (sum2 + sum3);
}
