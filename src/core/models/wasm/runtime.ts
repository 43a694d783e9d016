/**
 * Typed access to the WebAssembly global. The project compiles against ES2023 and
 * @types/node 20, neither of which declares it, and a global declaration here could
 * clash with one added elsewhere later; so only the few members used are typed, locally.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}

/** A compiled module: opaque, but can be posted to worker threads. */
export interface WasmModule {
  readonly wasmModuleBrand?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmRuntime {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmRuntime }).WebAssembly;
