import { type DotWasmExports, assembleDotKernels } from './wasm/dot-kernels.js';
import { type WasmModule, wasm } from './wasm/runtime.js';

/**
 * Inner products of a fixed set of float32 rows with one query at a time, for ranges of
 * rows (an index's clusters): `useQuery`, then `score(start, end)` gives the products of
 * rows start .. end-1. The rows are copied once into WebAssembly memory, zero-padded to
 * whole SIMD blocks; same sums, same rounding as `dotRow` below.
 */
export class RowScorer {
  private readonly exports: DotWasmExports;
  private readonly strideBytes: number;
  private readonly queryAt: number;
  private readonly outAt: number;
  private readonly query: Float32Array;
  private readonly out: Float64Array;

  private constructor(
    rows: Float32Array,
    count: number,
    private readonly factors: number,
    longestRange: number,
  ) {
    const stride = Math.ceil(factors / 4) * 4;
    this.strideBytes = stride * 4;
    this.queryAt = count * this.strideBytes;
    this.outAt = Math.ceil((this.queryAt + this.strideBytes) / 8) * 8;
    const bytes = this.outAt + Math.max(1, longestRange) * 8;
    const pages = Math.ceil(bytes / 65_536);
    const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new wasm.Instance(dotModule()!, { env: { memory } });
    this.exports = instance.exports as unknown as DotWasmExports;
    const floats = new Float32Array(memory.buffer, 0, count * stride);
    for (let row = 0; row < count; row++)
      floats.set(rows.subarray(row * factors, (row + 1) * factors), row * stride);
    this.query = new Float32Array(memory.buffer, this.queryAt, stride);
    this.out = new Float64Array(memory.buffer, this.outAt, Math.max(1, longestRange));
  }

  /** A scorer over `count` rows of `factors` floats; undefined without WebAssembly SIMD. */
  static create(
    rows: Float32Array,
    count: number,
    factors: number,
    longestRange: number,
  ): RowScorer | undefined {
    if (count === 0 || dotModule() === undefined) return undefined;
    return new RowScorer(rows, count, factors, longestRange);
  }

  useQuery(query: Float32Array): void {
    this.query.set(query.subarray(0, this.factors));
  }

  /** The products of rows start .. end-1 (at most `longestRange` of them), from index 0. */
  score(start: number, end: number): Float64Array {
    this.exports.dotRows(0, start, end, this.strideBytes, this.queryAt, this.outAt);
    return this.out;
  }
}

/** rows[base ..] · query over `factors` coordinates, summed as the kernel sums. */
export function dotRow(
  rows: Float32Array,
  base: number,
  query: Float32Array,
  factors: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let f = 0;
  for (; f + 4 <= factors; f += 4) {
    s0 += rows[base + f]! * query[f]!;
    s1 += rows[base + f + 1]! * query[f + 1]!;
    s2 += rows[base + f + 2]! * query[f + 2]!;
    s3 += rows[base + f + 3]! * query[f + 3]!;
  }
  if (f < factors) s0 += rows[base + f]! * query[f]!;
  if (f + 1 < factors) s1 += rows[base + f + 1]! * query[f + 1]!;
  if (f + 2 < factors) s2 += rows[base + f + 2]! * query[f + 2]!;
  return s0 + s1 + (s2 + s3);
}

/** Pages the kernel may address (2 GiB: signed 32-bit offsets). */
const MAX_PAGES = 32_768;
let compiled: WasmModule | null | undefined;

function dotModule(): WasmModule | undefined {
  if (compiled === undefined) {
    const bytes = assembleDotKernels(MAX_PAGES);
    compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  return compiled ?? undefined;
}
