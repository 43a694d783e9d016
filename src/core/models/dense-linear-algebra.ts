/**
 * Dense symmetric positive-definite algebra on row-major Float64Array n x n matrices:
 * Cholesky factorization, solves and inversion, for iALS fold-in (k x k) and EASE
 * (items x items). Double precision because EASE's inverse feeds a division by its own
 * diagonal, which magnifies rounding.
 */

/**
 * Overwrites the lower triangle of `matrix` with L such that matrix = L L^T (the upper
 * triangle is left as it was). Throws when the matrix is not positive definite.
 */
export function choleskyInPlace(matrix: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diagonal = matrix[rowJ + j]!;
    for (let p = 0; p < j; p++) diagonal -= matrix[rowJ + p]! * matrix[rowJ + p]!;
    if (!(diagonal > 0)) throw new RangeError(`matrix is not positive definite (pivot ${j})`);
    const pivot = Math.sqrt(diagonal);
    matrix[rowJ + j] = pivot;
    // Row-oriented: both rows i and j are read contiguously, which is what keeps this
    // loop fast in JavaScript (the column-oriented form strides through memory).
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = matrix[rowI + j]!;
      for (let p = 0; p < j; p++) sum -= matrix[rowI + p]! * matrix[rowJ + p]!;
      matrix[rowI + j] = sum / pivot;
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
 * W = L^-1 (lower triangular), then A^-1 = W^T W. About n^3 / 2 multiply-adds in all.
 */
export function invertSpdInPlace(matrix: Float64Array, n: number): void {
  choleskyInPlace(matrix, n);
  invertLowerInPlace(matrix, n);
  multiplyLowerTransposeByLower(matrix, n);
}

/** Replaces the lower triangle L by L^-1 (forward substitution, row by row). */
function invertLowerInPlace(matrix: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    const inverseDiagonal = 1 / matrix[rowI + i]!;
    // Row i of W: W[i][j] = -(sum_{p=j}^{i-1} L[i][p] W[p][j]) / L[i][i] for j < i.
    // Accumulated as axpys over the rows p of W so the inner loop is contiguous.
    const scratch = new Float64Array(i);
    for (let p = 0; p < i; p++) {
      const coefficient = matrix[rowI + p]!;
      if (coefficient === 0) continue;
      const rowP = p * n;
      for (let j = 0; j <= p; j++) scratch[j]! += coefficient * matrix[rowP + j]!;
    }
    for (let j = 0; j < i; j++) matrix[rowI + j] = -scratch[j]! * inverseDiagonal;
    matrix[rowI + i] = inverseDiagonal;
  }
}

/** Given W in the lower triangle, writes the full symmetric W^T W over the matrix. */
function multiplyLowerTransposeByLower(matrix: Float64Array, n: number): void {
  // (W^T W)[i][j] = sum_{p >= max(i, j)} W[p][i] W[p][j]: accumulate row by row of W
  // into a separate upper triangle, then mirror.
  const result = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    const rowP = p * n;
    for (let i = 0; i <= p; i++) {
      const coefficient = matrix[rowP + i]!;
      if (coefficient === 0) continue;
      const out = i * n;
      for (let j = i; j <= p; j++) result[out + j]! += coefficient * matrix[rowP + j]!;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const value = result[i * n + j]!;
      matrix[i * n + j] = value;
      matrix[j * n + i] = value;
    }
  }
}
