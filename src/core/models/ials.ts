import { type CsrMatrix, transpose } from './interaction-matrix.js';
import type { FactorModel } from './factor-model.js';
import { createRandom } from './random.js';
import {
  type IalsEngine,
  type IalsLayout,
  type IalsSide,
  type IalsTask,
  IalsWorkspace,
  createSharedMemory,
  ialsKernelModule,
  planLayout,
} from './ials-workspace.js';
import { type IalsThreads, ON_CALLING_THREAD } from './ials-threads.js';

export interface IalsOptions {
  /** Embedding size; default 64. */
  readonly factors?: number;
  /** L2 penalty λ; default 0.01 (the `implicit` library's). */
  readonly regularization?: number;
  /**
   * Scales each row's penalty to λ · max(1, row entries)^exponent. 0 (default) is the
   * classic constant λ; 1 is ALS-WR. Heavier users get a stronger prior, which helps
   * when activity is very skewed (Rendle et al., "Revisiting the performance of iALS").
   */
  readonly regularizationExponent?: number;
  /** Confidence slope: an entry with weight w has confidence 1 + alpha |w|; default 1. */
  readonly alpha?: number;
  /** Alternating sweeps (users then items); default 15. */
  readonly iterations?: number;
  /** CG steps per row and sweep; default 3, as in `implicit`. */
  readonly cgSteps?: number;
  /** Scale of the uniform [0, scale) initial factors; default 0.01. */
  readonly initScale?: number;
  readonly seed?: number;
  /** The threads to spread sweeps over; default: the calling thread alone. */
  readonly threads?: IalsThreads;
  /** 'wasm' (default): SIMD kernels; 'js': the plain reference kernels. */
  readonly engine?: IalsEngine;
  /** Called after every sweep with its wall-clock duration. */
  readonly onEpoch?: (epoch: number, seconds: number) => void;
}

export interface IalsModel extends FactorModel {
  readonly alpha: number;
  readonly regularization: number;
  readonly regularizationExponent: number;
  /** Y^T Y of the final item factors, in double precision, for fold-in. */
  readonly itemGram: Float64Array;
}

type ResolvedOptions = Required<Omit<IalsOptions, 'onEpoch'>> & Pick<IalsOptions, 'onEpoch'>;

/**
 * Implicit-feedback ALS on a user x item matrix of signed weights: positive entries are
 * preference 1 with confidence 1 + alpha w, negative ones preference 0 with confidence
 * 1 + alpha |w| (actively pushed down, more than unseen items), and every unobserved
 * pair preference 0 with confidence 1.
 *
 * With more than one thread the row solves run on the threads the caller provides, over
 * SharedArrayBuffer-backed factors, each taking a contiguous row range of equal estimated
 * cost.
 */
export async function fitIals(matrix: CsrMatrix, options: IalsOptions = {}): Promise<IalsModel> {
  const config = resolveOptions(options);
  if (config.threads.count <= 1) return fitIalsSync(matrix, options);
  const training = new IalsTraining(matrix, config);
  const pool = config.threads.start({
    memory: training.workspace.memory,
    layout: training.layout,
    engine: config.engine,
    module: ialsKernelModule(),
  });
  try {
    for (let epoch = 0; epoch < config.iterations; epoch++) {
      const started = performance.now();
      for (const phase of training.epochPhases()) {
        await pool.run(phase.tasks);
        phase.after?.();
      }
      config.onEpoch?.(epoch, (performance.now() - started) / 1000);
    }
  } finally {
    await pool.close();
  }
  return training.toModel();
}

/** Same training on the calling thread (threads is ignored). */
export function fitIalsSync(matrix: CsrMatrix, options: IalsOptions = {}): IalsModel {
  const config = { ...resolveOptions(options), threads: ON_CALLING_THREAD };
  const training = new IalsTraining(matrix, config);
  for (let epoch = 0; epoch < config.iterations; epoch++) {
    const started = performance.now();
    for (const phase of training.epochPhases()) {
      for (const task of phase.tasks) training.workspace.execute(task);
      phase.after?.();
    }
    config.onEpoch?.(epoch, (performance.now() - started) / 1000);
  }
  return training.toModel();
}

function resolveOptions(options: IalsOptions): ResolvedOptions {
  const resolved = {
    factors: options.factors ?? 64,
    regularization: options.regularization ?? 0.01,
    regularizationExponent: options.regularizationExponent ?? 0,
    alpha: options.alpha ?? 1,
    iterations: options.iterations ?? 15,
    cgSteps: options.cgSteps ?? 3,
    initScale: options.initScale ?? 0.01,
    seed: options.seed ?? 0,
    threads: options.threads ?? ON_CALLING_THREAD,
    engine: options.engine ?? 'wasm',
    onEpoch: options.onEpoch,
  };
  if (!Number.isInteger(resolved.factors) || resolved.factors < 1) {
    throw new RangeError('factors must be a positive integer');
  }
  if (!(resolved.regularization > 0)) throw new RangeError('regularization must be positive');
  if (!(resolved.alpha >= 0)) throw new RangeError('alpha must be non-negative');
  return resolved;
}

interface Phase {
  readonly tasks: readonly IalsTask[];
  /** Runs on the coordinating thread once every task of the phase is done. */
  readonly after?: () => void;
}

/** Training state in shared memory, plus how each sweep is cut into tasks. */
class IalsTraining {
  readonly layout: IalsLayout;
  readonly workspace: IalsWorkspace;
  private readonly userRanges: readonly (readonly [number, number])[];
  private readonly itemRanges: readonly (readonly [number, number])[];

  constructor(
    matrix: CsrMatrix,
    private readonly config: ResolvedOptions,
  ) {
    const slots = Math.max(1, Math.floor(config.threads.count));
    const byItem = transpose(matrix);
    this.layout = planLayout(matrix.rows, matrix.cols, matrix.colIdx.length, config.factors, slots);
    this.workspace = new IalsWorkspace(createSharedMemory(this.layout), this.layout, config.engine);
    const { userRows, itemRows } = this.workspace;
    copyRows(matrix, userRows, config);
    copyRows(byItem, itemRows, config);
    this.initializeFactors();
    const { stride } = this.layout;
    this.userRanges = balancedRanges(matrix.rowPtr, slots, stride);
    this.itemRanges = balancedRanges(byItem.rowPtr, slots, stride);
  }

  /** One sweep: refresh Y^T Y, solve users, refresh X^T X, solve items. */
  epochPhases(): Phase[] {
    return [
      this.gramPhase('items', this.itemRanges),
      this.solvePhase('users', this.userRanges),
      this.gramPhase('users', this.userRanges),
      this.solvePhase('items', this.itemRanges),
    ];
  }

  toModel(): IalsModel {
    const { factors } = this.config;
    const userFactors = unpad(
      this.workspace.userFactors,
      this.layout.users,
      this.layout.stride,
      factors,
    );
    const itemFactors = unpad(
      this.workspace.itemFactors,
      this.layout.items,
      this.layout.stride,
      factors,
    );
    return {
      factors,
      users: this.layout.users,
      items: this.layout.items,
      userFactors,
      itemFactors,
      alpha: this.config.alpha,
      regularization: this.config.regularization,
      regularizationExponent: this.config.regularizationExponent,
      itemGram: exactGram(itemFactors, this.layout.items, factors),
    };
  }

  private gramPhase(side: IalsSide, ranges: readonly (readonly [number, number])[]): Phase {
    return {
      tasks: ranges.map(([rowStart, rowEnd], slot) => ({
        kind: 'gram',
        side,
        rowStart,
        rowEnd,
        slot,
      })),
      after: () => this.reduceGram(),
    };
  }

  private solvePhase(side: IalsSide, ranges: readonly (readonly [number, number])[]): Phase {
    const { alpha, cgSteps } = this.config;
    return {
      tasks: ranges.map(([rowStart, rowEnd], slot) => ({
        kind: 'solve',
        side,
        rowStart,
        rowEnd,
        slot,
        alpha,
        cgSteps,
      })),
    };
  }

  /**
   * Sums the slots' upper triangles into the symmetric float32 Gram the solver reads,
   * then zeroes them for the next Gram phase. Partial Grams are per slot so that
   * threads never write the same memory.
   */
  private reduceGram(): void {
    const { stride } = this.layout;
    const { gram, partialGrams } = this.workspace;
    for (let i = 0; i < stride; i++) {
      for (let j = i; j < stride; j++) {
        let sum = 0;
        for (const partial of partialGrams) sum += partial[i * stride + j]!;
        gram[i * stride + j] = sum;
        gram[j * stride + i] = sum;
      }
    }
    for (const partial of partialGrams) partial.fill(0);
  }

  private initializeFactors(): void {
    const { stride, users, items } = this.layout;
    const { factors, initScale, seed } = this.config;
    const random = createRandom(seed);
    for (const [matrix, rows] of [
      [this.workspace.userFactors, users],
      [this.workspace.itemFactors, items],
    ] as const) {
      for (let row = 0; row < rows; row++) {
        for (let f = 0; f < factors; f++) matrix[row * stride + f] = random.next() * initScale;
      }
    }
  }
}

function copyRows(
  matrix: CsrMatrix,
  target: IalsWorkspace['userRows'],
  config: ResolvedOptions,
): void {
  target.rowPtr.set(matrix.rowPtr);
  target.colIdx.set(matrix.colIdx);
  target.values.set(matrix.values);
  const { regularization, regularizationExponent } = config;
  for (let row = 0; row < matrix.rows; row++) {
    const count = Math.max(1, matrix.rowPtr[row + 1]! - matrix.rowPtr[row]!);
    target.rowRegularization[row] = regularization * Math.pow(count, regularizationExponent);
  }
}

/**
 * Contiguous row ranges of about equal work per slot. A row costs about stride
 * (the dense Gram product, per unit of stride) plus 2 per entry (a dot and an axpy).
 */
function balancedRanges(rowPtr: Int32Array, slots: number, stride: number): [number, number][] {
  const rows = rowPtr.length - 1;
  const costBefore = (row: number): number => row * stride + 2 * rowPtr[row]!;
  const total = costBefore(rows);
  const ranges: [number, number][] = [];
  let start = 0;
  for (let slot = 0; slot < slots; slot++) {
    let end = start;
    if (slot === slots - 1) end = rows;
    else {
      const goal = (total * (slot + 1)) / slots;
      while (end < rows && costBefore(end) < goal) end++;
    }
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

function unpad(padded: Float32Array, rows: number, stride: number, factors: number): Float32Array {
  const out = new Float32Array(rows * factors);
  for (let row = 0; row < rows; row++) {
    out.set(padded.subarray(row * stride, row * stride + factors), row * factors);
  }
  return out;
}

function exactGram(factorsMatrix: Float32Array, rows: number, factors: number): Float64Array {
  const gram = new Float64Array(factors * factors);
  for (let row = 0; row < rows; row++) {
    const base = row * factors;
    for (let i = 0; i < factors; i++) {
      const value = factorsMatrix[base + i]!;
      for (let j = i; j < factors; j++) gram[i * factors + j]! += value * factorsMatrix[base + j]!;
    }
  }
  for (let i = 0; i < factors; i++)
    for (let j = 0; j < i; j++) gram[i * factors + j] = gram[j * factors + i]!;
  return gram;
}
