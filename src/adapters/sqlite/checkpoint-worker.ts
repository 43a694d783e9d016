// Checkpoints a WAL-mode SQLite file on a connection of its own, every `intervalMs`, so the
// connection that writes never runs SQLite's automatic checkpoint: that copies the WAL into
// the database and syncs it inside whichever commit crosses the threshold, holding the
// server's event loop for tens of milliseconds. PASSIVE: it never waits for the writer.
import { parentPort, workerData } from 'node:worker_threads';
import { isSqliteBusy, openSqliteDatabase, type SqliteSynchronous } from './sqlite-database.js';

export interface CheckpointWorkerSetup {
  readonly path: string;
  readonly synchronous: SqliteSynchronous;
  readonly intervalMs: number;
}

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker must run as a worker thread');
const setup = workerData as CheckpointWorkerSetup;
const db = openSqliteDatabase(setup.path, { synchronous: setup.synchronous });

const checkpoint = (): void => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // The writer can hold the lock for a moment; the next tick tries again.
    if (!isSqliteBusy(error)) throw error;
  }
};
const timer = setInterval(checkpoint, setup.intervalMs);

port.on('message', (message: 'close') => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
