// Online backup of an embedded deployment, and its restore into an empty data directory.
import { mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { EventLog } from '../../ports/event-log.js';
import type { StateStore } from '../../ports/state-store.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  BackupError,
  type BackupManifest,
  digestOf,
  extractParts,
  readBackupManifest,
  writeBackupFile,
} from './backup-file.js';

export type BackupStage = 'state' | 'events' | 'checksums' | 'writing' | 'done';

/**
 * Writes a backup of the log and the state store (snapshots, models and their registry,
 * scenarios' store records, API keys as stored) to the new file `out`, while the
 * deployment serves and takes writes. The state store is copied first and the log second,
 * so any snapshot in the copy is at or before the log's last position in it: a restored
 * server replays the rest and reaches exactly the backup's position. Each copy is one
 * read transaction on a connection of its own, in a worker thread: writers and requests
 * do not wait for it.
 */
export async function takeBackup(
  storage: { readonly log: EventLog; readonly store: StateStore },
  out: string,
  onStage: (stage: BackupStage) => void = () => undefined,
): Promise<BackupManifest> {
  const { log, store } = storage;
  if (log.copyTo === undefined || store.copyTo === undefined)
    throw new Error(
      'this storage has no file copy (PostgreSQL: back the database up with its own tools, see docs/operations.md)',
    );
  const work = await mkdtemp(join(dirname(resolve(out)), '.kindred-backup-'));
  try {
    onStage('state');
    const statePath = join(work, 'state.db');
    await store.copyTo(statePath);
    onStage('events');
    const eventsPath = join(work, 'events.db');
    const position = await log.copyTo(eventsPath);
    onStage('checksums');
    const paths = new Map([
      ['events.db', eventsPath],
      ['state.db', statePath],
    ]);
    const parts = [];
    for (const [name, path] of paths) parts.push({ name, ...(await digestOf(path)) });
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date().toISOString(),
      position,
      parts,
    };
    onStage('writing');
    await writeBackupFile(out, manifest, paths);
    onStage('done');
    return manifest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Restores a backup into `dataDir`, which must be absent or empty. Everything is checked
 * (format, version, sizes, every part's SHA-256) in a directory beside it, which becomes
 * `dataDir` only once whole: a refused or failed restore leaves `dataDir` as it was.
 */
export async function restoreBackup(file: string, dataDir: string): Promise<BackupManifest> {
  const target = resolve(dataDir);
  const existing = await readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined && existing.length > 0)
    throw new BackupError(
      'BACKUP_TARGET_NOT_EMPTY',
      `${dataDir} is not empty: restore into a new or empty directory`,
    );
  const { manifest, dataStart } = await readBackupManifest(file);
  await mkdir(dirname(target), { recursive: true });
  const work = await mkdtemp(join(dirname(target), '.kindred-restore-'));
  try {
    await extractParts(file, manifest, dataStart, work);
    if (existing !== undefined) await rmdir(target);
    await rename(work, target);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return manifest;
}
