import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type ImportFormat = 'csv' | 'jsonl';

const FORMAT_BY_EXTENSION: Readonly<Record<string, ImportFormat>> = {
  csv: 'csv',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'jsonl',
};

/** The format a file name implies (`.csv`, `.jsonl`, `.ndjson`, `.json`, each optionally `.gz`). */
export function formatFromName(file: string): ImportFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  const dot = name.lastIndexOf('.');
  return dot === -1 ? undefined : FORMAT_BY_EXTENSION[name.slice(dot + 1)];
}

export interface TextSource {
  /** UTF-8 text in chunks, gunzipped when the file name ends in `.gz`. */
  readonly text: AsyncIterable<string>;
  /** Size of the file on disk (compressed size for `.gz`). */
  readonly bytes: number;
  /** Bytes read from disk so far, for progress. */
  bytesRead(): number;
}

const CHUNK_BYTES = 256 * 1024;

export async function openTextSource(file: string): Promise<TextSource> {
  const { size } = await stat(file);
  const raw: ReadStream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let readable: Readable = raw;
  if (file.toLowerCase().endsWith('.gz')) {
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    // Errors of either stage surface through the gunzip stream we iterate.
    pipeline(raw, gunzip, () => undefined);
    readable = gunzip;
  }
  readable.setEncoding('utf8');
  return { text: readable as AsyncIterable<string>, bytes: size, bytesRead: () => raw.bytesRead };
}
