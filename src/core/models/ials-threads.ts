import type { IalsEngine, IalsLayout, IalsTask } from './ials-workspace.js';
import type { WasmMemory, WasmModule } from './wasm/runtime.js';

/** What each executor gets at start: the shared memory and how to read it. */
export interface IalsWorkerSetup {
  readonly memory: WasmMemory;
  readonly layout: IalsLayout;
  readonly engine: IalsEngine;
  readonly module: WasmModule;
}

/** Executors over one training's shared memory, one per slot of its layout. */
export interface IalsTaskRunner {
  /** Runs the tasks concurrently (one per slot at a time) and resolves when all are done. */
  run(tasks: readonly IalsTask[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The threads iALS may spread its sweeps over. The core starts none (it does no I/O and
 * owns no threads), so whoever runs a training provides them: `src/app/training`'s
 * worker-thread pool, or `ON_CALLING_THREAD`.
 */
export interface IalsThreads {
  /** Slots each sweep is cut into; 1 trains on the calling thread and starts nothing. */
  readonly count: number;
  /** Starts one executor per slot of `setup.layout`; called when `count` > 1. */
  start(setup: IalsWorkerSetup): IalsTaskRunner;
}

/** Training on the calling thread alone. */
export const ON_CALLING_THREAD: IalsThreads = {
  count: 1,
  start() {
    throw new Error('ON_CALLING_THREAD starts no threads');
  },
};
