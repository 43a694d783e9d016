/**
 * A minimal WebAssembly assembler: just enough of the binary format (one imported
 * memory, functions, exports, scalar and 128-bit SIMD arithmetic) to write numeric
 * kernels in TypeScript without a toolchain or a checked-in binary. Instructions are
 * written as nested expressions: each helper returns the bytes of its operands followed
 * by its own opcode, so `f32.add(get(a), get(b))` reads like the stack code it emits.
 */

export type Code = number[];
export type ValueType = 'i32' | 'f32' | 'f64' | 'v128';

export interface Local {
  readonly index: number;
  readonly type: ValueType;
}

const VALUE_TYPE_CODE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };
const SIMD_PREFIX = 0xfd;
const EMPTY_BLOCK = 0x40;

export function unsignedLeb(value: number): Code {
  const out: Code = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

export function signedLeb(value: number): Code {
  const out: Code = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function concat(parts: readonly Code[]): Code {
  const out: Code = [];
  for (const part of parts) for (const byte of part) out.push(byte);
  return out;
}

function op(opcode: number, ...operands: Code[]): Code {
  return [...concat(operands), opcode];
}

function simd(opcode: number, ...operands: Code[]): Code {
  return [...concat(operands), SIMD_PREFIX, ...unsignedLeb(opcode)];
}

/** Memory access immediate: log2 alignment hint and constant byte offset. */
function memarg(alignLog2: number, offset: number): Code {
  return [...unsignedLeb(alignLog2), ...unsignedLeb(offset)];
}

function float32Bytes(value: number): Code {
  return [...new Uint8Array(new Float32Array([value]).buffer)];
}

function float64Bytes(value: number): Code {
  return [...new Uint8Array(new Float64Array([value]).buffer)];
}

export const get = (local: Local): Code => [0x20, ...unsignedLeb(local.index)];
export const set = (local: Local, value: Code): Code => [
  ...value,
  0x21,
  ...unsignedLeb(local.index),
];
export const seq = (...parts: Code[]): Code => concat(parts);

export const i32 = {
  const: (value: number): Code => [0x41, ...signedLeb(value)],
  add: (a: Code, b: Code): Code => op(0x6a, a, b),
  sub: (a: Code, b: Code): Code => op(0x6b, a, b),
  mul: (a: Code, b: Code): Code => op(0x6c, a, b),
  shl: (a: Code, b: Code): Code => op(0x74, a, b),
  and: (a: Code, b: Code): Code => op(0x71, a, b),
  eqz: (a: Code): Code => op(0x45, a),
  ltS: (a: Code, b: Code): Code => op(0x48, a, b),
  geS: (a: Code, b: Code): Code => op(0x4e, a, b),
  load: (address: Code, offset = 0): Code => [...address, 0x28, ...memarg(2, offset)],
};

export const f32 = {
  const: (value: number): Code => [0x43, ...float32Bytes(value)],
  add: (a: Code, b: Code): Code => op(0x92, a, b),
  sub: (a: Code, b: Code): Code => op(0x93, a, b),
  mul: (a: Code, b: Code): Code => op(0x94, a, b),
  div: (a: Code, b: Code): Code => op(0x95, a, b),
  abs: (a: Code): Code => op(0x8b, a),
  gt: (a: Code, b: Code): Code => op(0x5e, a, b),
  lt: (a: Code, b: Code): Code => op(0x5d, a, b),
  ge: (a: Code, b: Code): Code => op(0x60, a, b),
  load: (address: Code, offset = 0): Code => [...address, 0x2a, ...memarg(2, offset)],
  store: (address: Code, value: Code, offset = 0): Code => [
    ...address,
    ...value,
    0x38,
    ...memarg(2, offset),
  ],
  /** select(whenTrue, whenFalse, condition) */
  select: (whenTrue: Code, whenFalse: Code, condition: Code): Code =>
    op(0x1b, whenTrue, whenFalse, condition),
};

export const f64 = {
  const: (value: number): Code => [0x44, ...float64Bytes(value)],
  add: (a: Code, b: Code): Code => op(0xa0, a, b),
  load: (address: Code, offset = 0): Code => [...address, 0x2b, ...memarg(3, offset)],
  store: (address: Code, value: Code, offset = 0): Code => [
    ...address,
    ...value,
    0x39,
    ...memarg(3, offset),
  ],
};

export const v128 = {
  load: (address: Code, offset = 0): Code => [...simd(0x00, address), ...memarg(4, offset)],
  store: (address: Code, value: Code, offset = 0): Code => [
    ...simd(0x0b, address, value),
    ...memarg(4, offset),
  ],
  /** Loads 8 bytes into the low half, zeroing the high half. */
  load64Zero: (address: Code, offset = 0): Code => [...simd(0x5d, address), ...memarg(3, offset)],
  zero: (): Code => [SIMD_PREFIX, ...unsignedLeb(0x0c), ...new Array<number>(16).fill(0)],
};

export const f32x4 = {
  splat: (scalar: Code): Code => simd(0x13, scalar),
  extractLane: (vector: Code, lane: number): Code => [...simd(0x1f, vector), lane],
  add: (a: Code, b: Code): Code => simd(0xe4, a, b),
  sub: (a: Code, b: Code): Code => simd(0xe5, a, b),
  mul: (a: Code, b: Code): Code => simd(0xe6, a, b),
};

export const f64x2 = {
  splat: (scalar: Code): Code => simd(0x14, scalar),
  add: (a: Code, b: Code): Code => simd(0xf0, a, b),
  mul: (a: Code, b: Code): Code => simd(0xf2, a, b),
  /** Widens the two low f32 lanes to f64. */
  promoteLowF32x4: (vector: Code): Code => simd(0x5f, vector),
  extractLane: (vector: Code, lane: number): Code => [...simd(0x21, vector), lane],
};

/** Control flow. Branch depths count enclosing blocks and loops from the innermost (0). */
export const block = (...body: Code[]): Code => [0x02, EMPTY_BLOCK, ...concat(body), 0x0b];
export const loop = (...body: Code[]): Code => [0x03, EMPTY_BLOCK, ...concat(body), 0x0b];
export const br = (depth: number): Code => [0x0c, ...unsignedLeb(depth)];
export const brIf = (depth: number, condition: Code): Code => [
  ...condition,
  0x0d,
  ...unsignedLeb(depth),
];
export const when = (condition: Code, ...body: Code[]): Code => [
  ...condition,
  0x04,
  EMPTY_BLOCK,
  ...concat(body),
  0x0b,
];
export const call = (fn: FunctionHandle, ...args: Code[]): Code => [
  ...concat(args),
  0x10,
  ...unsignedLeb(fn.index),
];

/**
 * `for (counter = from; counter < to; counter += step) body`, as block+loop. Inside
 * `body`, `br(1)` breaks out of this loop and `br(0)` would restart the iteration
 * without stepping, so bodies should only ever use the former.
 */
export function forRange(counter: Local, from: Code, to: Code, step: Code, ...body: Code[]): Code {
  return seq(
    set(counter, from),
    block(
      loop(
        brIf(1, i32.geS(get(counter), to)),
        ...body,
        set(counter, i32.add(get(counter), step)),
        br(0),
      ),
    ),
  );
}

export interface FunctionHandle {
  readonly index: number;
}

interface FunctionDefinition {
  readonly exportName: string | undefined;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  readonly locals: ValueType[];
  body: Code;
}

/** Declares locals for one function; parameters are locals 0..n-1. */
export class FunctionScope {
  readonly params: Local[];
  private readonly locals: ValueType[];

  constructor(params: readonly ValueType[], locals: ValueType[]) {
    this.params = params.map((type, index) => ({ index, type }));
    this.locals = locals;
  }

  local(type: ValueType): Local {
    this.locals.push(type);
    return { index: this.params.length + this.locals.length - 1, type };
  }
}

export class ModuleBuilder {
  private readonly functions: FunctionDefinition[] = [];

  /**
   * Adds a function; `build` receives its scope (parameters and a way to declare locals)
   * and returns the body. Functions may call any function added before them.
   */
  addFunction(
    exportName: string | undefined,
    params: readonly ValueType[],
    results: readonly ValueType[],
    build: (scope: FunctionScope) => Code,
  ): FunctionHandle {
    const definition: FunctionDefinition = { exportName, params, results, locals: [], body: [] };
    const handle = { index: this.functions.length };
    this.functions.push(definition);
    definition.body = build(new FunctionScope(params, definition.locals));
    return handle;
  }

  /** Encodes the module; it imports one shared memory as env.memory. */
  assemble(memory: { minimumPages: number; maximumPages: number }): Uint8Array {
    const signatures: string[] = [];
    const typeEntries: Code[] = [];
    const typeIndexes = this.functions.map((fn) => {
      const key = `${fn.params.join(',')}->${fn.results.join(',')}`;
      let index = signatures.indexOf(key);
      if (index < 0) {
        index = signatures.push(key) - 1;
        typeEntries.push([
          0x60,
          ...vector(fn.params.map(valueType)),
          ...vector(fn.results.map(valueType)),
        ]);
      }
      return index;
    });

    const sharedLimits = [
      0x03,
      ...unsignedLeb(memory.minimumPages),
      ...unsignedLeb(memory.maximumPages),
    ];
    const memoryImport = [...name('env'), ...name('memory'), 0x02, ...sharedLimits];
    const exports = this.functions.flatMap((fn, index) =>
      fn.exportName === undefined ? [] : [[...name(fn.exportName), 0x00, ...unsignedLeb(index)]],
    );
    const bodies = this.functions.map((fn) => {
      const localGroups = fn.locals.map((type): Code => [0x01, ...valueType(type)]);
      const content = [...vector(localGroups), ...fn.body, 0x0b];
      return [...unsignedLeb(content.length), ...content];
    });

    return new Uint8Array([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, vector(typeEntries)),
      ...section(2, vector([memoryImport])),
      ...section(3, vector(typeIndexes.map((index) => unsignedLeb(index)))),
      ...section(7, vector(exports)),
      ...section(10, vector(bodies)),
    ]);
  }
}

function valueType(type: ValueType): Code {
  return [VALUE_TYPE_CODE[type]];
}

function vector(items: readonly Code[]): Code {
  return [...unsignedLeb(items.length), ...concat(items)];
}

function name(text: string): Code {
  return vector([...new TextEncoder().encode(text)].map((byte) => [byte]));
}

function section(id: number, content: Code): Code {
  return [id, ...unsignedLeb(content.length), ...content];
}
