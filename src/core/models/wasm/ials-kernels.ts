import {
  type Code,
  type FunctionScope,
  type Local,
  ModuleBuilder,
  block,
  brIf,
  f32,
  f32x4,
  f64,
  f64x2,
  forRange,
  get,
  i32,
  seq,
  set,
  v128,
} from './assembler.js';

/**
 * The iALS hot loops as 128-bit SIMD WebAssembly: plain JavaScript cannot vectorize and
 * measured about 3 s per epoch on the 1M-interaction benchmark, several times the
 * budget. All pointers are byte offsets into one shared memory, so every worker thread
 * can instantiate the same module over the same factors and each solve its own rows.
 *
 * Factor rows have `stride` floats, a multiple of 16 (callers zero-pad): the kernels
 * then work in whole blocks of four vectors without tail loops. Zero padding is exact,
 * because padded coordinates start at zero and their residual stays zero.
 */
export interface IalsWasmExports {
  /**
   * out (stride x stride, float64) += sum of f f^T over factor rows [rowStart, rowEnd).
   * Only j >= i rounded down to even is written: callers mirror the upper triangle.
   * `scratch` holds stride float64 values.
   */
  gramUpper(
    factors: number,
    rowStart: number,
    rowEnd: number,
    stride: number,
    out: number,
    scratch: number,
  ): void;
  /**
   * Conjugate-gradient update of target rows [rowStart, rowEnd), warm-started from their
   * current values; see ials-cg.ts for the same algorithm in plain JavaScript.
   * `scratch` holds 3 * stride float32 values.
   */
  solveRows(
    rowStart: number,
    rowEnd: number,
    rowPtr: number,
    colIdx: number,
    values: number,
    target: number,
    fixed: number,
    gram: number,
    rowRegularization: number,
    stride: number,
    alpha: number,
    cgSteps: number,
    scratch: number,
  ): void;
}

const CONVERGED = 1e-20;
const BLOCK_BYTES = 64;

/** Wasm page count addressable with the signed 32-bit offsets the kernels use. */
export const MAX_KERNEL_PAGES = 32768;

export function assembleIalsKernels(): Uint8Array {
  const module = new ModuleBuilder();
  module.addFunction('gramUpper', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], gramUpperBody);
  module.addFunction(
    'solveRows',
    ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'i32', 'i32'],
    [],
    solveRowsBody,
  );
  return module.assemble({ minimumPages: 1, maximumPages: MAX_KERNEL_PAGES });
}

function gramUpperBody(scope: FunctionScope): Code {
  const [factors, rowStart, rowEnd, stride, out, scratch] = scope.params as [
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
  ];
  const row = scope.local('i32');
  const source = scope.local('i32');
  const rowBytes = scope.local('i32');
  const wideBytes = scope.local('i32');
  const offset = scope.local('i32');
  const i = scope.local('i32');
  const j = scope.local('i32');
  const outRow = scope.local('i32');
  const coefficient = scope.local('v128');

  return seq(
    set(rowBytes, i32.shl(get(stride), i32.const(2))),
    set(wideBytes, i32.shl(get(stride), i32.const(3))),
    forRange(
      row,
      get(rowStart),
      get(rowEnd),
      i32.const(1),
      set(source, i32.add(get(factors), i32.mul(get(row), get(rowBytes)))),
      // Widen the row to float64 once, so the k^2 updates below accumulate exactly.
      forRange(
        offset,
        i32.const(0),
        get(rowBytes),
        i32.const(8),
        v128.store(
          i32.add(get(scratch), i32.shl(get(offset), i32.const(1))),
          f64x2.promoteLowF32x4(v128.load64Zero(i32.add(get(source), get(offset)))),
        ),
      ),
      // i and j are byte offsets into the float64 row.
      forRange(
        i,
        i32.const(0),
        get(wideBytes),
        i32.const(8),
        set(coefficient, f64x2.splat(f64.load(i32.add(get(scratch), get(i))))),
        set(outRow, i32.add(get(out), i32.mul(get(i), get(stride)))),
        forRange(
          j,
          i32.and(get(i), i32.const(~15)),
          get(wideBytes),
          i32.const(16),
          v128.store(
            i32.add(get(outRow), get(j)),
            f64x2.add(
              v128.load(i32.add(get(outRow), get(j))),
              f64x2.mul(get(coefficient), v128.load(i32.add(get(scratch), get(j)))),
            ),
          ),
        ),
      ),
    ),
  );
}

function solveRowsBody(scope: FunctionScope): Code {
  const [
    rowStart,
    rowEnd,
    rowPtr,
    colIdx,
    values,
    target,
    fixed,
    gram,
    rowRegularization,
    stride,
    alpha,
    cgSteps,
    scratch,
  ] = scope.params as [
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
  ];
  const locals = new KernelLocals(scope);
  const row = scope.local('i32');
  const entryStart = scope.local('i32');
  const entryEnd = scope.local('i32');
  const x = scope.local('i32');
  const residual = scope.local('i32');
  const direction = scope.local('i32');
  const product = scope.local('i32');
  const regularization = scope.local('f32');
  const step = scope.local('i32');
  const residualNorm = scope.local('f32');
  const newResidualNorm = scope.local('f32');
  const stepLength = scope.local('f32');
  const curvature = scope.local('f32');
  const rowBytes = locals.rowBytes;

  const sparse = (vector: Local, out: Local, withTarget: boolean): Code =>
    sparseAccumulate(locals, {
      entryStart,
      entryEnd,
      colIdx,
      values,
      fixed,
      alpha,
      vector,
      out,
      withTarget,
    });

  return seq(
    set(rowBytes, i32.shl(get(stride), i32.const(2))),
    set(residual, get(scratch)),
    set(direction, i32.add(get(scratch), get(rowBytes))),
    set(product, i32.add(get(direction), get(rowBytes))),
    forRange(
      row,
      get(rowStart),
      get(rowEnd),
      i32.const(1),
      set(entryStart, i32.load(i32.add(get(rowPtr), i32.shl(get(row), i32.const(2))))),
      set(entryEnd, i32.load(i32.add(get(rowPtr), i32.shl(get(row), i32.const(2))), 4)),
      set(x, i32.add(get(target), i32.mul(get(row), get(rowBytes)))),
      set(
        regularization,
        f32.load(i32.add(get(rowRegularization), i32.shl(get(row), i32.const(2)))),
      ),
      // r = b - A x, with A = G + reg I + sum (c - 1) y y^T and b = sum c p y.
      gramProduct(locals, gram, x, residual, regularization, -1),
      sparse(x, residual, true),
      copyVector(locals, residual, direction),
      set(residualNorm, dot(locals, residual, residual)),
      block(
        brIf(0, f32.lt(get(residualNorm), f32.const(CONVERGED))),
        forRange(
          step,
          i32.const(0),
          get(cgSteps),
          i32.const(1),
          gramProduct(locals, gram, direction, product, regularization, 1),
          sparse(direction, product, false),
          set(curvature, dot(locals, direction, product)),
          // Only a zero direction or a singular system gets here; stop rather than divide.
          brIf(1, f32.ge(f32.const(0), get(curvature))),
          set(stepLength, f32.div(get(residualNorm), get(curvature))),
          axpy(locals, get(stepLength), direction, x),
          axpy(locals, f32.sub(f32.const(0), get(stepLength)), product, residual),
          set(newResidualNorm, dot(locals, residual, residual)),
          brIf(1, f32.lt(get(newResidualNorm), f32.const(CONVERGED))),
          // p = r + (rsNew / rsOld) p
          scaleAndAdd(
            locals,
            f32.div(get(newResidualNorm), get(residualNorm)),
            direction,
            residual,
          ),
          set(residualNorm, get(newResidualNorm)),
        ),
      ),
    ),
  );
}

/** Scratch locals shared by the inlined vector helpers of one function. */
class KernelLocals {
  readonly rowBytes: Local;
  readonly offset: Local;
  readonly inner: Local;
  readonly address: Local;
  readonly accumulators: [Local, Local, Local, Local];
  readonly splat: Local;
  readonly entry: Local;
  readonly fixedRow: Local;
  readonly weight: Local;
  readonly confidenceExcess: Local;

  constructor(scope: FunctionScope) {
    this.rowBytes = scope.local('i32');
    this.offset = scope.local('i32');
    this.inner = scope.local('i32');
    this.address = scope.local('i32');
    this.accumulators = [
      scope.local('v128'),
      scope.local('v128'),
      scope.local('v128'),
      scope.local('v128'),
    ];
    this.splat = scope.local('v128');
    this.entry = scope.local('i32');
    this.fixedRow = scope.local('i32');
    this.weight = scope.local('f32');
    this.confidenceExcess = scope.local('f32');
  }
}

const LANE_OFFSETS = [0, 16, 32, 48] as const;

/** Leaves a . b (rowBytes long) on the stack. */
function dot(locals: KernelLocals, a: Local, b: Local): Code {
  const { offset, rowBytes, accumulators } = locals;
  const [acc0, acc1, acc2, acc3] = accumulators;
  return seq(
    ...accumulators.map((acc) => set(acc, v128.zero())),
    forRange(
      offset,
      i32.const(0),
      get(rowBytes),
      i32.const(BLOCK_BYTES),
      ...LANE_OFFSETS.map((lane, index) =>
        set(
          accumulators[index]!,
          f32x4.add(
            get(accumulators[index]!),
            f32x4.mul(
              v128.load(i32.add(get(a), get(offset)), lane),
              v128.load(i32.add(get(b), get(offset)), lane),
            ),
          ),
        ),
      ),
    ),
    set(acc0, f32x4.add(f32x4.add(get(acc0), get(acc1)), f32x4.add(get(acc2), get(acc3)))),
    f32.add(
      f32.add(f32x4.extractLane(get(acc0), 0), f32x4.extractLane(get(acc0), 1)),
      f32.add(f32x4.extractLane(get(acc0), 2), f32x4.extractLane(get(acc0), 3)),
    ),
  );
}

/** y += coefficient * x */
function axpy(locals: KernelLocals, coefficient: Code, x: Local, y: Local): Code {
  const { offset, rowBytes, splat } = locals;
  return seq(
    set(splat, f32x4.splat(coefficient)),
    forRange(
      offset,
      i32.const(0),
      get(rowBytes),
      i32.const(BLOCK_BYTES),
      ...LANE_OFFSETS.map((lane) =>
        v128.store(
          i32.add(get(y), get(offset)),
          f32x4.add(
            v128.load(i32.add(get(y), get(offset)), lane),
            f32x4.mul(get(splat), v128.load(i32.add(get(x), get(offset)), lane)),
          ),
          lane,
        ),
      ),
    ),
  );
}

/** y = x + coefficient * y */
function scaleAndAdd(locals: KernelLocals, coefficient: Code, y: Local, x: Local): Code {
  const { offset, rowBytes, splat } = locals;
  return seq(
    set(splat, f32x4.splat(coefficient)),
    forRange(
      offset,
      i32.const(0),
      get(rowBytes),
      i32.const(BLOCK_BYTES),
      ...LANE_OFFSETS.map((lane) =>
        v128.store(
          i32.add(get(y), get(offset)),
          f32x4.add(
            v128.load(i32.add(get(x), get(offset)), lane),
            f32x4.mul(get(splat), v128.load(i32.add(get(y), get(offset)), lane)),
          ),
          lane,
        ),
      ),
    ),
  );
}

function copyVector(locals: KernelLocals, from: Local, to: Local): Code {
  const { offset, rowBytes } = locals;
  return forRange(
    offset,
    i32.const(0),
    get(rowBytes),
    i32.const(16),
    v128.store(i32.add(get(to), get(offset)), v128.load(i32.add(get(from), get(offset)))),
  );
}

/**
 * out = sign * (G v + reg v). G is symmetric, so its row j doubles as column j and
 * each output block of 16 accumulates splat(v[j]) * G[j, block] with contiguous loads.
 */
function gramProduct(
  locals: KernelLocals,
  gram: Local,
  vector: Local,
  out: Local,
  regularization: Local,
  sign: 1 | -1,
): Code {
  const { offset, inner, address, rowBytes, accumulators, splat } = locals;
  return forRange(
    offset,
    i32.const(0),
    get(rowBytes),
    i32.const(BLOCK_BYTES),
    ...accumulators.map((acc) => set(acc, v128.zero())),
    set(address, i32.add(get(gram), get(offset))),
    forRange(
      inner,
      i32.const(0),
      get(rowBytes),
      i32.const(4),
      set(splat, f32x4.splat(f32.load(i32.add(get(vector), get(inner))))),
      ...LANE_OFFSETS.map((lane, index) =>
        set(
          accumulators[index]!,
          f32x4.add(
            get(accumulators[index]!),
            f32x4.mul(get(splat), v128.load(get(address), lane)),
          ),
        ),
      ),
      set(address, i32.add(get(address), get(rowBytes))),
    ),
    set(splat, f32x4.splat(get(regularization))),
    ...LANE_OFFSETS.map((lane, index) => {
      const value = f32x4.add(
        get(accumulators[index]!),
        f32x4.mul(get(splat), v128.load(i32.add(get(vector), get(offset)), lane)),
      );
      return v128.store(
        i32.add(get(out), get(offset)),
        sign === 1 ? value : f32x4.sub(v128.zero(), value),
        lane,
      );
    }),
  );
}

interface SparseTerms {
  readonly entryStart: Local;
  readonly entryEnd: Local;
  readonly colIdx: Local;
  readonly values: Local;
  readonly fixed: Local;
  readonly alpha: Local;
  readonly vector: Local;
  readonly out: Local;
  /** Also add the right-hand side c * p * y, turning -A v into b - A v. */
  readonly withTarget: boolean;
}

/**
 * out += sum over the row's entries of (c - 1)(y . v) y, with c - 1 = alpha |w|;
 * negative weights are confident zeros (preference 0), positive ones preference 1.
 */
function sparseAccumulate(locals: KernelLocals, terms: SparseTerms): Code {
  const { entry, fixedRow, weight, confidenceExcess, rowBytes } = locals;
  const { entryStart, entryEnd, colIdx, values, fixed, alpha, vector, out, withTarget } = terms;
  const curvature = f32.mul(get(confidenceExcess), dot(locals, fixedRow, vector));
  const preferenceTerm = f32.select(
    f32.add(f32.const(1), get(confidenceExcess)),
    f32.const(0),
    f32.gt(get(weight), f32.const(0)),
  );
  return forRange(
    entry,
    get(entryStart),
    get(entryEnd),
    i32.const(1),
    set(
      fixedRow,
      i32.add(
        get(fixed),
        i32.mul(i32.load(i32.add(get(colIdx), i32.shl(get(entry), i32.const(2)))), get(rowBytes)),
      ),
    ),
    set(weight, f32.load(i32.add(get(values), i32.shl(get(entry), i32.const(2))))),
    set(confidenceExcess, f32.mul(get(alpha), f32.abs(get(weight)))),
    axpy(locals, withTarget ? f32.sub(preferenceTerm, curvature) : curvature, fixedRow, out),
  );
}
