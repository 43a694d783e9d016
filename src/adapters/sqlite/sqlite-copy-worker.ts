// Copies a SQLite database into a new file with `VACUUM INTO` on a connection of its own:
// one read transaction, so the copy is the database as of one moment while writers go on
// (WAL), and on a worker thread, so the process's event loop does not wait for it.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CopyJob {
  readonly source: string;
  readonly destination: string;
  /** A query answered by the copy (one number), e.g. the last position of a log. */
  readonly probe?: string;
}

export type CopyReply =
  | { readonly ok: true; readonly probed?: number }
  | { readonly ok: false; readonly error: string };

const job = workerData as CopyJob;
let reply: CopyReply;
try {
  const source = new Database(job.source, { readonly: true, fileMustExist: true });
  try {
    source.prepare('VACUUM INTO ?').run(job.destination);
  } finally {
    source.close();
  }
  let probed: number | undefined;
  if (job.probe !== undefined) {
    const copy = new Database(job.destination, { readonly: true, fileMustExist: true });
    try {
      probed = Number(copy.prepare(job.probe).pluck().get() ?? 0);
    } finally {
      copy.close();
    }
  }
  reply = probed === undefined ? { ok: true } : { ok: true, probed };
} catch (error) {
  reply = { ok: false, error: (error as Error).message };
}
parentPort?.postMessage(reply);
