/**
 * Plain-JavaScript iALS kernels: the reference the WebAssembly kernels are tested
 * against, and the fallback where WebAssembly SIMD is unavailable. Same arguments and
 * memory layout as wasm/ials-kernels.ts, with typed-array views instead of pointers.
 */

/** One side's rows in CSR form plus each row's regularization. */
export interface SolveRows {
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  /** Signed weights: positive means preference 1, negative a confident 0. */
  readonly values: Float32Array;
  readonly rowRegularization: Float32Array;
}

const CONVERGED = 1e-20;

/**
 * Conjugate-gradient steps for rows [rowStart, rowEnd) of `target` against the fixed
 * factors (Hu, Koren and Volinsky's implicit ALS; Takacs et al.'s CG variant, as in the
 * `implicit` library). Each row solves
 *   (G + reg I + sum_i (c_i - 1) y_i y_i^T) x = sum_i c_i p_i y_i,   c_i = 1 + alpha |w_i|,
 * where G = Y^T Y over all fixed rows, so unobserved pairs count as preference 0 with
 * confidence 1 without being visited. A few CG steps from the previous x suffice
 * because x moves little between epochs; that is what makes an epoch O(nnz k + n k^2)
 * instead of O(n k^3).
 */
export function solveRowRangeJs(
  rows: SolveRows,
  target: Float32Array,
  fixed: Float32Array,
  gram: Float32Array,
  stride: number,
  alpha: number,
  cgSteps: number,
  rowStart: number,
  rowEnd: number,
): void {
  const { rowPtr, colIdx, values, rowRegularization } = rows;
  const x = new Float64Array(stride);
  const residual = new Float64Array(stride);
  const direction = new Float64Array(stride);
  const product = new Float64Array(stride);

  for (let row = rowStart; row < rowEnd; row++) {
    const base = row * stride;
    const entryStart = rowPtr[row]!;
    const entryEnd = rowPtr[row + 1]!;
    const regularization = rowRegularization[row]!;
    for (let f = 0; f < stride; f++) x[f] = target[base + f]!;

    gramProduct(gram, x, residual, stride, regularization);
    for (let f = 0; f < stride; f++) residual[f] = -residual[f]!;
    for (let entry = entryStart; entry < entryEnd; entry++) {
      const fixedBase = colIdx[entry]! * stride;
      const weight = values[entry]!;
      const excess = alpha * Math.abs(weight);
      const preferenceTerm = weight > 0 ? 1 + excess : 0;
      const coefficient = preferenceTerm - excess * dotAt(fixed, fixedBase, x, stride);
      for (let f = 0; f < stride; f++) residual[f]! += coefficient * fixed[fixedBase + f]!;
    }

    let residualNorm = 0;
    for (let f = 0; f < stride; f++) {
      direction[f] = residual[f]!;
      residualNorm += residual[f]! * residual[f]!;
    }
    for (let step = 0; step < cgSteps && residualNorm >= CONVERGED; step++) {
      gramProduct(gram, direction, product, stride, regularization);
      for (let entry = entryStart; entry < entryEnd; entry++) {
        const fixedBase = colIdx[entry]! * stride;
        const excess = alpha * Math.abs(values[entry]!);
        const coefficient = excess * dotAt(fixed, fixedBase, direction, stride);
        for (let f = 0; f < stride; f++) product[f]! += coefficient * fixed[fixedBase + f]!;
      }
      let curvature = 0;
      for (let f = 0; f < stride; f++) curvature += direction[f]! * product[f]!;
      if (!(curvature > 0)) break;
      const stepLength = residualNorm / curvature;
      let newResidualNorm = 0;
      for (let f = 0; f < stride; f++) {
        x[f]! += stepLength * direction[f]!;
        residual[f]! -= stepLength * product[f]!;
        newResidualNorm += residual[f]! * residual[f]!;
      }
      if (newResidualNorm < CONVERGED) break;
      const momentum = newResidualNorm / residualNorm;
      for (let f = 0; f < stride; f++) direction[f] = residual[f]! + momentum * direction[f]!;
      residualNorm = newResidualNorm;
    }
    for (let f = 0; f < stride; f++) target[base + f] = x[f]!;
  }
}

/** out (stride x stride) += sum of f f^T over rows [rowStart, rowEnd), upper triangle. */
export function gramUpperJs(
  factors: Float32Array,
  stride: number,
  rowStart: number,
  rowEnd: number,
  out: Float64Array,
): void {
  for (let row = rowStart; row < rowEnd; row++) {
    const base = row * stride;
    for (let i = 0; i < stride; i++) {
      const value = factors[base + i]!;
      if (value === 0) continue;
      const outRow = i * stride;
      for (let j = i; j < stride; j++) out[outRow + j]! += value * factors[base + j]!;
    }
  }
}

/** out = G v + reg v */
function gramProduct(
  gram: Float32Array,
  vector: Float64Array,
  out: Float64Array,
  stride: number,
  regularization: number,
): void {
  for (let i = 0; i < stride; i++) {
    const gramRow = i * stride;
    let sum = regularization * vector[i]!;
    for (let j = 0; j < stride; j++) sum += gram[gramRow + j]! * vector[j]!;
    out[i] = sum;
  }
}

function dotAt(matrix: Float32Array, base: number, vector: Float64Array, length: number): number {
  let sum = 0;
  for (let f = 0; f < length; f++) sum += matrix[base + f]! * vector[f]!;
  return sum;
}
