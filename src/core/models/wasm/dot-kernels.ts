import {
  type Code,
  type FunctionScope,
  type Local,
  ModuleBuilder,
  f64,
  f64x2,
  forRange,
  get,
  i32,
  seq,
  set,
  v128,
} from './assembler.js';

/** What the inner-product kernel module exports. */
export interface DotWasmExports {
  /**
   * out[r - rowStart] (float64) = rows[r] · query for rows [rowStart, rowEnd); rows have
   * `strideBytes` bytes (a multiple of 16, zero-padded) and the query as many.
   */
  dotRows(
    rows: number,
    rowStart: number,
    rowEnd: number,
    strideBytes: number,
    query: number,
    out: number,
  ): void;
}

/**
 * Inner products of float32 rows with a query as 128-bit SIMD WebAssembly, for the
 * inverted-file index's scans: plain JavaScript cannot vectorize them. Sums run in
 * float64 in four interleaved partial sums (coordinates 0,1 | 2,3 of each group of four),
 * added as (s0 + s1) + (s2 + s3): the same rounding as the JavaScript fallback.
 */
export function assembleDotKernels(maximumPages: number): Uint8Array {
  const module = new ModuleBuilder();
  module.addFunction('dotRows', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], dotRowsBody);
  return module.assemble({ minimumPages: 1, maximumPages });
}

function dotRowsBody(scope: FunctionScope): Code {
  const [rows, rowStart, rowEnd, strideBytes, query, out] = scope.params as [
    Local,
    Local,
    Local,
    Local,
    Local,
    Local,
  ];
  const row = scope.local('i32');
  const source = scope.local('i32');
  const offset = scope.local('i32');
  const target = scope.local('i32');
  const low = scope.local('v128');
  const high = scope.local('v128');
  const widen = (address: Code, at: number): Code =>
    f64x2.promoteLowF32x4(v128.load64Zero(address, at));
  /** Adds the products of the two coordinates `at` bytes into the block, widened to float64. */
  const accumulate = (sum: Local, at: number): Code =>
    set(
      sum,
      f64x2.add(
        get(sum),
        f64x2.mul(
          widen(i32.add(get(source), get(offset)), at),
          widen(i32.add(get(query), get(offset)), at),
        ),
      ),
    );
  return seq(
    set(target, get(out)),
    forRange(
      row,
      get(rowStart),
      get(rowEnd),
      i32.const(1),
      set(source, i32.add(get(rows), i32.mul(get(row), get(strideBytes)))),
      set(low, v128.zero()),
      set(high, v128.zero()),
      forRange(
        offset,
        i32.const(0),
        get(strideBytes),
        i32.const(16),
        accumulate(low, 0),
        accumulate(high, 8),
      ),
      f64.store(
        get(target),
        f64.add(
          f64.add(f64x2.extractLane(get(low), 0), f64x2.extractLane(get(low), 1)),
          f64.add(f64x2.extractLane(get(high), 0), f64x2.extractLane(get(high), 1)),
        ),
      ),
      set(target, i32.add(get(target), i32.const(8))),
    ),
  );
}
