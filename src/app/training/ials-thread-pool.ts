import { Worker } from 'node:worker_threads';
import type {
  IalsTaskRunner,
  IalsThreads,
  IalsWorkerSetup,
} from '../../core/models/ials-threads.js';
import type { IalsTask } from '../../core/models/ials-workspace.js';
import type { IalsWorkerReply } from './ials-worker.js';

/** iALS over `count` worker threads (1: the calling thread, nothing started). */
export function ialsThreadPool(count: number): IalsThreads {
  return { count, start: (setup) => IalsWorkerPool.start(setup) };
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * One worker thread per slot, all over the same shared memory. Task i goes to the
 * worker of its slot, so each thread only ever touches its own scratch and partial Gram;
 * replies come back in order, so a FIFO of pending promises per worker is enough.
 */
export class IalsWorkerPool implements IalsTaskRunner {
  private readonly pending: Pending[][];

  private constructor(private readonly workers: readonly Worker[]) {
    this.pending = workers.map(() => []);
    workers.forEach((worker, slot) => {
      worker.on('message', (reply: IalsWorkerReply) => {
        const waiter = this.pending[slot]!.shift();
        if (waiter === undefined) return;
        if (reply.ok) waiter.resolve();
        else waiter.reject(new Error(`iALS worker ${slot} failed: ${reply.error}`));
      });
      worker.on('error', (error: Error) => this.failAll(slot, error));
      worker.on('exit', (code) => {
        if (code !== 0)
          this.failAll(slot, new Error(`iALS worker ${slot} exited with code ${code}`));
      });
    });
  }

  static start(setup: IalsWorkerSetup): IalsWorkerPool {
    const workers: Worker[] = [];
    for (let slot = 0; slot < setup.layout.slots; slot++) {
      workers.push(new Worker(new URL('./ials-worker.js', import.meta.url), { workerData: setup }));
    }
    return new IalsWorkerPool(workers);
  }

  /** Runs the tasks concurrently (one per slot at a time) and resolves when all are done. */
  run(tasks: readonly IalsTask[]): Promise<void> {
    return Promise.all(
      tasks.map(
        (task) =>
          new Promise<void>((resolve, reject) => {
            const worker = this.workers[task.slot];
            if (worker === undefined) throw new RangeError(`no worker for slot ${task.slot}`);
            this.pending[task.slot]!.push({ resolve, reject });
            worker.postMessage(task);
          }),
      ),
    ).then(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private failAll(slot: number, error: Error): void {
    for (const waiter of this.pending[slot]!.splice(0)) waiter.reject(error);
  }
}
