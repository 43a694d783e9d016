import { on } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Engine } from '../../app/engine.js';
import type { WriteOptions } from '../../app/write-service.js';
import type { EventBodyT } from '../../contracts/schemas.js';
import { itemFromInput, type Item, type ItemInput } from '../../core/domain/item.js';
import type { User, UserInput } from '../../core/domain/user.js';
import { ImportSetupError, type ImportKind, type RowBody } from './mappers.js';
import {
  decodeBatch,
  type FromReader,
  type ReadRequest,
  type ToReader,
  type WriteRejection,
} from './reader.js';
import { formatFromName, type ImportFormat } from './source.js';

export const DEFAULT_IMPORT_BATCH = 10_000;

export interface ImportRequest {
  readonly kind: ImportKind;
  readonly file: string;
  /** Defaults to what the file name says (`.csv`, `.jsonl`, `.ndjson`, `.json`, optionally `.gz`). */
  readonly format?: ImportFormat | undefined;
  /** Interaction type of rows that have none. */
  readonly type?: string | undefined;
  /** Where rejected rows go; default `FILE.rejects.jsonl`. Only created when a row is rejected. */
  readonly rejects?: string | undefined;
  /** Rows per write (at most the engine's `events.maxBatch`). */
  readonly batch?: number | undefined;
  /** Called after each batch written, with bytes read from disk and the file's size. */
  readonly onProgress?: ((bytesRead: number, totalBytes: number) => void) | undefined;
}

export interface ImportSummary {
  readonly kind: ImportKind;
  readonly file: string;
  /** Data rows read (header and blank lines excluded). */
  readonly rows: number;
  /** Rows that added an event to the log. */
  readonly imported: number;
  /** Interactions already in the log, and items or users identical to their current state. */
  readonly duplicates: number;
  readonly rejected: number;
  /** Reading, validating and writing; set-up (engine, reader thread) and the final snapshot excluded. */
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly rejects: string | null;
}

/**
 * The reading half of an import (parse, map, validate, derive ids, rejects file) running
 * on a worker thread, ready to start. Starting it early lets its set-up (loading modules,
 * compiling the schema) overlap with opening the engine.
 */
export class ReaderThread {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly request: ReadRequest;

  constructor(request: ReadRequest) {
    this.request = request;
    this.worker = new Worker(new URL('./read-worker.js', import.meta.url), {
      workerData: request,
      // Rows live for two batches (until written), long enough for a small young generation
      // to copy them again and again: 64 MiB made the reader (the slower half) ~7% faster.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    this.ready = new Promise((resolve, reject) => {
      const onExit = (code: number): void =>
        reject(new Error(`the import reader thread exited (code ${code})`));
      const onMessage = (message: FromReader): void => {
        if (message.type !== 'ready') return;
        this.worker.off('message', onMessage);
        this.worker.off('error', reject);
        this.worker.off('exit', onExit);
        resolve();
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
      this.worker.once('exit', onExit);
    });
    // Nobody may be waiting yet; the error also surfaces where the reader is used.
    this.ready.catch(() => undefined);
  }

  send(message: ToReader): void {
    this.worker.postMessage(message);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Checks the request and starts its reader thread (see `importFile`). */
export function startReader(request: ImportRequest): ReaderThread {
  const { kind, file } = request;
  const format = request.format ?? formatFromName(file);
  if (!format)
    throw new ImportSetupError(
      `cannot tell the format of "${file}" from its name (.csv, .jsonl, .ndjson, .json, optionally .gz): pass --format`,
    );
  if (request.type !== undefined && kind !== 'interactions')
    throw new ImportSetupError('--type applies to interactions only');
  const batch = request.batch ?? DEFAULT_IMPORT_BATCH;
  if (!Number.isInteger(batch) || batch < 1)
    throw new ImportSetupError('--batch must be a positive integer');
  return new ReaderThread({
    kind,
    file,
    format,
    type: request.type,
    batch,
    rejects: request.rejects ?? `${file}.rejects.jsonl`,
  });
}

/**
 * Streams a CSV or JSON lines file into the engine: every row validated with the HTTP
 * API's schemas (and, for interactions, the write service's own checks), bad rows to the
 * rejects file, good rows written in batches through `engine.writes`. Reading runs on a
 * worker thread, one batch ahead of the writes on this thread.
 */
export async function importFile(
  engine: Engine,
  request: ImportRequest,
  reader: ReaderThread = startReader(request),
): Promise<ImportSummary> {
  const { kind, file } = request;
  const options: WriteOptions = { source: 'import' };
  let imported = 0;
  let duplicates = 0;
  let done: Extract<FromReader, { type: 'done' }> | undefined;
  try {
    await reader.ready;
    // The clock starts with reading: the reader's set-up and opening the engine are not the import.
    const started = performance.now();
    const messages = on(reader.worker, 'message', { close: ['exit'] });
    reader.send({ type: 'start' });
    for await (const [message] of messages as AsyncIterable<[FromReader]>) {
      if (message.type === 'batch') {
        const written = await writeBatch(engine, kind, decodeBatch(kind, message.json), options);
        imported += written.imported;
        duplicates += written.duplicates;
        reader.send({ type: 'written', seq: message.seq, rejections: written.rejections });
        request.onProgress?.(message.bytesRead, message.totalBytes);
      } else if (message.type === 'failed') {
        if (message.setup) throw new ImportSetupError(message.message);
        throw Object.assign(new Error(message.message), { code: message.code });
      } else if (message.type === 'done') {
        done = message;
        break;
      }
    }
    if (!done) throw new Error('the import reader thread stopped before the end of the file');
    const seconds = (performance.now() - started) / 1000;
    return {
      kind,
      file,
      rows: done.rows,
      imported,
      duplicates,
      rejected: done.rejected,
      seconds: Number(seconds.toFixed(3)),
      rowsPerSecond: seconds > 0 ? Math.round(done.rows / seconds) : done.rows,
      rejects: done.rejected > 0 ? reader.request.rejects : null,
    };
  } finally {
    await reader.stop();
  }
}

interface Written {
  readonly imported: number;
  readonly duplicates: number;
  readonly rejections: WriteRejection[];
}

/** One batch through `engine.writes`: interactions appended, items and users upserted unless unchanged. */
async function writeBatch(
  engine: Engine,
  kind: ImportKind,
  bodies: RowBody[],
  options: WriteOptions,
): Promise<Written> {
  if (kind === 'interactions') {
    const prepared = engine.writes.prepareInteractions(bodies as EventBodyT[], options);
    const rejections = prepared.errors.map(({ index, error }) => ({
      index,
      code: error.code,
      message: error.message,
    }));
    let imported = 0;
    let duplicates = 0;
    for (const outcome of await engine.writes.append(prepared.envelopes)) {
      if (outcome.status === 'accepted') imported++;
      else duplicates++;
    }
    return { imported, duplicates, rejections };
  }
  if (kind === 'items') {
    const catalog = engine.readModels.catalog;
    const changed = (bodies as unknown as ItemInput[]).filter(
      (item) => !sameItem(catalog.get(item.id), item),
    );
    const imported = (await engine.writes.upsertItems(changed, options)).length;
    return { imported, duplicates: bodies.length - changed.length, rejections: [] };
  }
  const users = engine.readModels.users;
  const changed = (bodies as unknown as UserInput[]).filter(
    (user) => !sameUser(users.get(user.id), user),
  );
  const imported = (await engine.writes.upsertUsers(changed, options)).length;
  return { imported, duplicates: bodies.length - changed.length, rejections: [] };
}

function sameItem(current: Item | undefined, input: ItemInput): boolean {
  if (!current) return false;
  const next = itemFromInput(input, 0, 0);
  return (
    current.title === next.title &&
    current.available === next.available &&
    current.hidden === next.hidden &&
    isDeepStrictEqual(current.categories, next.categories) &&
    isDeepStrictEqual(current.tags, next.tags) &&
    isDeepStrictEqual(current.attributes, next.attributes) &&
    isDeepStrictEqual(current.text, next.text)
  );
}

function sameUser(current: User | undefined, input: UserInput): boolean {
  return current !== undefined && isDeepStrictEqual(current.attributes, input.attributes ?? {});
}
