import { parentPort, workerData } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './wasm/runtime.js';
import {
  type IalsEngine,
  type IalsLayout,
  type IalsTask,
  IalsWorkspace,
} from './ials-workspace.js';

/** What the pool hands each worker at start: the shared memory and how to read it. */
export interface IalsWorkerSetup {
  readonly memory: WasmMemory;
  readonly layout: IalsLayout;
  readonly engine: IalsEngine;
  readonly module: WasmModule;
}

export type IalsWorkerReply =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: string };

const setup = workerData as IalsWorkerSetup;
const workspace = new IalsWorkspace(setup.memory, setup.layout, setup.engine, setup.module);
const port = parentPort;
if (port === null) throw new Error('ials-worker must run as a worker thread');

port.on('message', (task: IalsTask) => {
  let reply: IalsWorkerReply;
  try {
    workspace.execute(task);
    reply = { ok: true };
  } catch (error) {
    reply = {
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  port.postMessage(reply);
});
