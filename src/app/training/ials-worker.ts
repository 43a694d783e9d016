// An iALS worker thread: executes the sweeps' tasks of its slot over the shared memory.
import { parentPort, workerData } from 'node:worker_threads';
import type { IalsWorkerSetup } from '../../core/models/ials-threads.js';
import { type IalsTask, IalsWorkspace } from '../../core/models/ials-workspace.js';

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
