// Writes large state-store values (read-model snapshots, model artifacts) on a connection
// of its own, so the server's event loop does not wait the second or two SQLite takes to
// write and sync tens of megabytes. One write at a time, in the order they arrive.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase, type SqliteSynchronous } from './sqlite-database.js';

export interface LargeValueWorkerSetup {
  readonly path: string;
  readonly synchronous: SqliteSynchronous;
  readonly upsertSql: string;
}

export interface LargeValueWrite {
  readonly id: number;
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array;
}

export type LargeValueReply =
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly ok: false; readonly error: string };

const port = parentPort;
if (port === null) throw new Error('large-value-worker must run as a worker thread');
const setup = workerData as LargeValueWorkerSetup;
const db = openSqliteDatabase(setup.path, { synchronous: setup.synchronous });
const upsert = db.prepare<[string, string, Uint8Array]>(setup.upsertSql);

port.on('message', (write: LargeValueWrite | 'close') => {
  if (write === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: LargeValueReply;
  try {
    upsert.run(write.namespace, write.key, write.value);
    reply = { id: write.id, ok: true };
  } catch (error) {
    reply = {
      id: write.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  port.postMessage(reply);
});
