import { gramUpperJs, solveRowRangeJs, type SolveRows } from './ials-cg.js';
import { type WasmMemory, type WasmModule, wasm } from './wasm/runtime.js';
import {
  type IalsWasmExports,
  MAX_KERNEL_PAGES,
  assembleIalsKernels,
} from './wasm/ials-kernels.js';

export type IalsEngine = 'wasm' | 'js';
export type IalsSide = 'users' | 'items';

/** Byte offsets of one side's CSR rows inside the shared memory. */
interface RowsLayout {
  readonly rowPtr: number;
  readonly colIdx: number;
  readonly values: number;
  readonly regularization: number;
}

/**
 * Where everything lives in the shared memory. Plain numbers, so it can be posted to
 * worker threads, which then see the very same factors through their own views.
 */
export interface IalsLayout {
  readonly users: number;
  readonly items: number;
  readonly nnz: number;
  /** Floats per factor row: the factor count rounded up to a multiple of 16. */
  readonly stride: number;
  /** Independent executors (threads); each gets its own scratch and partial Gram. */
  readonly slots: number;
  readonly userRows: RowsLayout;
  readonly itemRows: RowsLayout;
  readonly userFactors: number;
  readonly itemFactors: number;
  /** float32 Gram matrix of the side currently held fixed. */
  readonly gram: number;
  /** Per slot: float64 partial Gram, then solver scratch. */
  readonly partialGrams: readonly number[];
  readonly scratch: readonly number[];
  readonly bytes: number;
}

export type IalsTask =
  | {
      readonly kind: 'gram';
      readonly side: IalsSide;
      readonly rowStart: number;
      readonly rowEnd: number;
      readonly slot: number;
    }
  | {
      readonly kind: 'solve';
      readonly side: IalsSide;
      readonly rowStart: number;
      readonly rowEnd: number;
      readonly slot: number;
      readonly alpha: number;
      readonly cgSteps: number;
    };

const PAGE_BYTES = 65536;
const ALIGNMENT = 64;

export function strideFor(factors: number): number {
  return Math.ceil(factors / 16) * 16;
}

export function planLayout(
  users: number,
  items: number,
  nnz: number,
  factors: number,
  slots: number,
): IalsLayout {
  const stride = strideFor(factors);
  let cursor = ALIGNMENT; // keep address 0 unused so a zero offset is never valid data
  const allocate = (bytes: number): number => {
    const offset = cursor;
    cursor = Math.ceil((cursor + bytes) / ALIGNMENT) * ALIGNMENT;
    return offset;
  };
  const rows = (count: number): RowsLayout => ({
    rowPtr: allocate((count + 1) * 4),
    colIdx: allocate(nnz * 4),
    values: allocate(nnz * 4),
    regularization: allocate(count * 4),
  });
  const userRows = rows(users);
  const itemRows = rows(items);
  const userFactors = allocate(users * stride * 4);
  const itemFactors = allocate(items * stride * 4);
  const gram = allocate(stride * stride * 4);
  const partialGrams: number[] = [];
  const scratch: number[] = [];
  for (let slot = 0; slot < slots; slot++) {
    partialGrams.push(allocate(stride * stride * 8));
    // 3 float32 vectors for the solver, or one float64 row for the Gram kernel.
    scratch.push(allocate(stride * 12));
  }
  return {
    users,
    items,
    nnz,
    stride,
    slots,
    userRows,
    itemRows,
    userFactors,
    itemFactors,
    gram,
    partialGrams,
    scratch,
    bytes: cursor,
  };
}

export function createSharedMemory(layout: IalsLayout): WasmMemory {
  const pages = Math.ceil(layout.bytes / PAGE_BYTES);
  if (pages > MAX_KERNEL_PAGES) {
    throw new RangeError(
      `iALS needs ${Math.round(layout.bytes / 2 ** 20)} MiB, above the 2 GiB the kernels address`,
    );
  }
  return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
}

let compiledKernels: WasmModule | undefined;

/** The kernel module, compiled once per thread and shareable with workers. */
export function ialsKernelModule(): WasmModule {
  compiledKernels ??= new wasm.Module(assembleIalsKernels());
  return compiledKernels;
}

/** Typed-array views of one side's rows. */
function rowViews(
  buffer: ArrayBufferLike,
  layout: RowsLayout,
  count: number,
  nnz: number,
): SolveRows {
  return {
    rowPtr: new Int32Array(buffer, layout.rowPtr, count + 1),
    colIdx: new Int32Array(buffer, layout.colIdx, nnz),
    values: new Float32Array(buffer, layout.values, nnz),
    rowRegularization: new Float32Array(buffer, layout.regularization, count),
  };
}

/**
 * One thread's handle on the shared training state: views over the memory plus the
 * kernels, either WebAssembly or the JavaScript reference. `execute` runs one task
 * (a row range of one side), which is all a worker thread ever does.
 */
export class IalsWorkspace {
  readonly userRows: SolveRows;
  readonly itemRows: SolveRows;
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly gram: Float32Array;
  readonly partialGrams: readonly Float64Array[];
  private readonly wasm: IalsWasmExports | undefined;

  constructor(
    readonly memory: WasmMemory,
    readonly layout: IalsLayout,
    engine: IalsEngine,
    module?: WasmModule,
  ) {
    const buffer = memory.buffer;
    const { stride } = layout;
    this.userRows = rowViews(buffer, layout.userRows, layout.users, layout.nnz);
    this.itemRows = rowViews(buffer, layout.itemRows, layout.items, layout.nnz);
    this.userFactors = new Float32Array(buffer, layout.userFactors, layout.users * stride);
    this.itemFactors = new Float32Array(buffer, layout.itemFactors, layout.items * stride);
    this.gram = new Float32Array(buffer, layout.gram, stride * stride);
    this.partialGrams = layout.partialGrams.map(
      (offset) => new Float64Array(buffer, offset, stride * stride),
    );
    if (engine === 'wasm') {
      const instance = new wasm.Instance(module ?? ialsKernelModule(), { env: { memory } });
      this.wasm = instance.exports as unknown as IalsWasmExports;
    }
  }

  execute(task: IalsTask): void {
    if (task.kind === 'gram') this.accumulateGram(task.side, task.rowStart, task.rowEnd, task.slot);
    else this.solve(task.side, task.rowStart, task.rowEnd, task.slot, task.alpha, task.cgSteps);
  }

  /** Adds the rows' outer products to the slot's partial Gram (upper triangle). */
  private accumulateGram(side: IalsSide, rowStart: number, rowEnd: number, slot: number): void {
    const { layout } = this;
    if (this.wasm !== undefined) {
      const factors = side === 'users' ? layout.userFactors : layout.itemFactors;
      this.wasm.gramUpper(
        factors,
        rowStart,
        rowEnd,
        layout.stride,
        layout.partialGrams[slot]!,
        layout.scratch[slot]!,
      );
    } else {
      const factors = side === 'users' ? this.userFactors : this.itemFactors;
      gramUpperJs(factors, layout.stride, rowStart, rowEnd, this.partialGrams[slot]!);
    }
  }

  /** Re-solves rows of `side` with the other side fixed; the Gram must be current. */
  private solve(
    side: IalsSide,
    rowStart: number,
    rowEnd: number,
    slot: number,
    alpha: number,
    cgSteps: number,
  ): void {
    const { layout } = this;
    const solvingUsers = side === 'users';
    if (this.wasm !== undefined) {
      const rows = solvingUsers ? layout.userRows : layout.itemRows;
      this.wasm.solveRows(
        rowStart,
        rowEnd,
        rows.rowPtr,
        rows.colIdx,
        rows.values,
        solvingUsers ? layout.userFactors : layout.itemFactors,
        solvingUsers ? layout.itemFactors : layout.userFactors,
        layout.gram,
        rows.regularization,
        layout.stride,
        alpha,
        cgSteps,
        layout.scratch[slot]!,
      );
    } else {
      solveRowRangeJs(
        solvingUsers ? this.userRows : this.itemRows,
        solvingUsers ? this.userFactors : this.itemFactors,
        solvingUsers ? this.itemFactors : this.userFactors,
        this.gram,
        layout.stride,
        alpha,
        cgSteps,
        rowStart,
        rowEnd,
      );
    }
  }
}
