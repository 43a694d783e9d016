import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir, for one test's database files. */
export async function makeTempDirectory(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'kindred-sqlite-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
