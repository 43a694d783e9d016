import { parentPort, workerData } from 'node:worker_threads';
import { ImportSetupError } from './mappers.js';
import {
  encodeBatch,
  RejectsFile,
  RowReader,
  type FromReader,
  type ReadRequest,
  type ToReader,
} from './reader.js';

/**
 * The reader thread of `kindred import`: parses and validates while the main thread
 * writes, so the two halves of an import use two cores. At most MAX_IN_FLIGHT batches are
 * handed over and not yet written: memory stays flat however large the file.
 */
const MAX_IN_FLIGHT = 2;

const port = parentPort;
if (!port) throw new Error('read-worker runs as a worker thread');
const post = (message: FromReader): void => port.postMessage(message);

const request = workerData as ReadRequest;
const rejects = new RejectsFile(request.rejects);
const reader = new RowReader(request, rejects);
let inFlight = 0;
let wake: (() => void) | undefined;
// Settling touches the rejects file: one batch at a time, in order.
let settling: Promise<void> = Promise.resolve();

function failed(error: unknown): void {
  post({
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
    setup: error instanceof ImportSetupError,
    code:
      (error as { code?: unknown } | null)?.code === undefined
        ? undefined
        : String((error as { code: unknown }).code),
  });
}

async function run(): Promise<void> {
  await reader.run(async (batch) => {
    post({
      type: 'batch',
      seq: batch.seq,
      json: encodeBatch(request.kind, batch.bodies),
      bytesRead: batch.bytesRead,
      totalBytes: batch.totalBytes,
    });
    inFlight++;
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
  });
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  await settling;
  await rejects.close();
  post({ type: 'done', rows: reader.rows, rejected: rejects.count });
}

port.on('message', (message: ToReader) => {
  if (message.type === 'start') {
    run().catch(failed);
    return;
  }
  settling = settling
    .then(() => reader.settle(message.seq, message.rejections))
    .then(() => {
      inFlight--;
      const resolve = wake;
      wake = undefined;
      resolve?.();
    });
  settling.catch(failed);
});

post({ type: 'ready' });
