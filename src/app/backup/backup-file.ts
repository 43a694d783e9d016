// The backup file: a manifest (one line of JSON: format, version, the log position it
// holds, each part's size and SHA-256), then every part's bytes in the manifest's order.
// A reader checks the format and version first and every part's size and digest before
// anything is written where it is restored.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export const BACKUP_FORMAT = 'kindred-backup';
export const BACKUP_VERSION = 1;
/** A manifest longer than this is not one of ours. */
const MAX_MANIFEST_BYTES = 64 * 1024;

export interface BackupPart {
  /** The file's name in a data directory: `events.db` or `state.db`. */
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  /** The last log position the backup holds. */
  readonly position: number;
  readonly parts: readonly BackupPart[];
}

export type BackupErrorCode =
  | 'BACKUP_UNKNOWN_FORMAT'
  | 'BACKUP_TRUNCATED'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_TARGET_NOT_EMPTY';

/** A backup that cannot be used, or a restore that must not go ahead; nothing was changed. */
export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

/** SHA-256 and size of a file, read as a stream. */
export async function digestOf(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Writes the manifest, then each part's file, to `out`. */
export async function writeBackupFile(
  out: string,
  manifest: BackupManifest,
  paths: ReadonlyMap<string, string>,
): Promise<void> {
  const stream = createWriteStream(out, { flags: 'wx' });
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  stream.write(`${JSON.stringify(manifest)}\n`);
  for (const part of manifest.parts) {
    const path = paths.get(part.name);
    if (path === undefined) throw new Error(`no file for the part ${part.name}`);
    await pipeline(createReadStream(path), stream, { end: false });
  }
  stream.end();
  await done;
}

/** The manifest of a backup file and where its first part starts; refuses what is not one. */
export async function readBackupManifest(
  file: string,
): Promise<{ manifest: BackupManifest; dataStart: number }> {
  const handle = await open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const end = head.indexOf(0x0a);
  let manifest: BackupManifest | undefined;
  try {
    manifest =
      end < 0 ? undefined : (JSON.parse(head.subarray(0, end).toString('utf8')) as BackupManifest);
  } catch {
    manifest = undefined;
  }
  if (manifest?.format !== BACKUP_FORMAT)
    throw new BackupError('BACKUP_UNKNOWN_FORMAT', `${file} is not a Kindred backup`);
  if (manifest.version !== BACKUP_VERSION)
    throw new BackupError(
      'BACKUP_UNKNOWN_FORMAT',
      `${file} is a backup of format version ${String(manifest.version)}; this Kindred reads version ${BACKUP_VERSION}`,
    );
  const dataStart = end + 1;
  const expected = dataStart + manifest.parts.reduce((sum, part) => sum + part.bytes, 0);
  const { size } = await stat(file);
  if (size !== expected)
    throw new BackupError(
      'BACKUP_TRUNCATED',
      `${file} holds ${size} bytes where its manifest describes ${expected}: truncated or appended to`,
    );
  return { manifest, dataStart };
}

/** Writes each part into `directory`, checking its digest; throws BACKUP_CORRUPT on a mismatch. */
export async function extractParts(
  file: string,
  manifest: BackupManifest,
  dataStart: number,
  directory: string,
): Promise<void> {
  let offset = dataStart;
  for (const part of manifest.parts) {
    if (part.name.includes('/') || part.name.includes('\\') || part.name.startsWith('.'))
      throw new BackupError('BACKUP_CORRUPT', `the part name ${part.name} is not a file name`);
    const hash = createHash('sha256');
    const digest = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    if (!(part.bytes > 0))
      throw new BackupError('BACKUP_CORRUPT', `the part ${part.name} is empty`);
    await pipeline(
      createReadStream(file, { start: offset, end: offset + part.bytes - 1 }),
      digest,
      createWriteStream(`${directory}/${part.name}`, { flags: 'wx' }),
    );
    offset += part.bytes;
    if (hash.digest('hex') !== part.sha256)
      throw new BackupError(
        'BACKUP_CORRUPT',
        `the part ${part.name} does not match its checksum: the backup is damaged`,
      );
  }
}
