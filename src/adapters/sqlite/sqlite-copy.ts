import { Worker } from 'node:worker_threads';
import type { CopyJob, CopyReply } from './sqlite-copy-worker.js';

/** A consistent copy of the database at `source` as the new file `destination`. */
export function copySqliteDatabase(job: CopyJob): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sqlite-copy-worker.js', import.meta.url), {
      workerData: job,
    });
    let answered = false;
    worker.once('message', (reply: CopyReply) => {
      answered = true;
      if (reply.ok) resolve(reply.probed);
      else reject(new Error(`copying ${job.source}: ${reply.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the copy of ${job.source} stopped (exit code ${code})`));
    });
  });
}
