import { Worker } from 'node:worker_threads';
import type { ListOptions, PutOptions, StateStore, StoredEntry } from '../../ports/state-store.js';
import { sameBytes } from '../../ports/same-bytes.js';
import { copySqliteDatabase } from './sqlite-copy.js';
import type {
  LargeValueReply,
  LargeValueWorkerSetup,
  LargeValueWrite,
} from './large-value-worker.js';
import {
  openSqliteDatabase,
  type SqliteDatabase,
  type SqliteSynchronous,
} from './sqlite-database.js';

export interface SqliteStateStoreOptions {
  /** A file path (it may be the event log's file), or ':memory:'. */
  readonly path: string;
  /** See `SqliteDatabaseOptions.synchronous`; 'full' means an acknowledged put is fsynced. */
  readonly synchronous?: SqliteSynchronous;
}

// Values live in a rowid table and keys in an index beside it: in the former WITHOUT ROWID
// table each entry was one index record, so finding or listing keys read the overflow pages
// of every large value passed on the way (3.8 ms to list an empty namespace next to a
// 92 MB snapshot, 103 ms to list model metadata next to a 12.8 MB artifact). SQLite
// compares TEXT with memcmp over UTF-8, which is the bytewise key order the port promises.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS state_values (
    namespace TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     BLOB NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS state_values_by_key ON state_values (namespace, key)`;

/** Moves entries of the former layout (one WITHOUT ROWID table) into the current one. */
const MIGRATE_FROM_ENTRIES = `
  INSERT OR REPLACE INTO state_values (namespace, key, value)
    SELECT namespace, key, value FROM state_entries;
  DROP TABLE state_entries`;

interface EntryRow {
  readonly key: string;
  readonly value: Buffer;
}

const UPSERT_SQL = 'INSERT OR REPLACE INTO state_values (namespace, key, value) VALUES (?, ?, ?)';

/**
 * Values at least this large are written by a worker thread on its own connection
 * (file stores only): writing a 92 MB snapshot held the event loop 0.6 – 2.5 s.
 */
export const LARGE_VALUE_BYTES = 4 * 2 ** 20;

export class SqliteStateStore implements StateStore {
  private readonly db: SqliteDatabase;
  private readonly selectValue;
  private readonly upsert;
  private readonly deleteEntry;
  private readonly listFrom;
  private readonly listAfter;
  private closed = false;
  private readonly path: string;
  private readonly synchronous: SqliteSynchronous;
  private writer: Worker | undefined;
  private nextWriteId = 0;
  private largeInFlight = 0;
  private readonly pendingWrites = new Map<
    number,
    { resolve: () => void; reject: (error: Error) => void }
  >();
  /** Resolves when every write handed to the worker so far is done (writes keep their order). */
  private writesDone: Promise<void> = Promise.resolve();

  constructor(options: SqliteStateStoreOptions) {
    this.db = openSqliteDatabase(options.path, { synchronous: options.synchronous ?? 'full' });
    try {
      this.db.exec(SCHEMA);
      const former = this.db
        .prepare<
          [],
          string
        >("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'state_entries'")
        .pluck()
        .get();
      if (former !== undefined) this.db.transaction(() => this.db.exec(MIGRATE_FROM_ENTRIES))();
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.selectValue = this.db
      .prepare<
        [string, string],
        Buffer
      >('SELECT value FROM state_values WHERE namespace = ? AND key = ?')
      .pluck();
    this.upsert = this.db.prepare<[string, string, Uint8Array]>(UPSERT_SQL);
    this.path = options.path;
    this.synchronous = options.synchronous ?? 'full';
    this.deleteEntry = this.db.prepare<[string, string]>(
      'DELETE FROM state_values WHERE namespace = ? AND key = ?',
    );
    // LIMIT -1 is SQLite for "no limit".
    this.listFrom = this.db.prepare<[string, string, number], EntryRow>(
      'SELECT key, value FROM state_values WHERE namespace = ? AND key >= ? ORDER BY key LIMIT ?',
    );
    this.listAfter = this.db.prepare<[string, string, number], EntryRow>(
      'SELECT key, value FROM state_values WHERE namespace = ? AND key > ? ORDER BY key LIMIT ?',
    );
  }

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    const value = this.selectValue.get(namespace, key);
    return value === undefined ? undefined : asPlainBytes(value);
  }

  async put(
    namespace: string,
    key: string,
    value: Uint8Array,
    options: PutOptions = {},
  ): Promise<void> {
    this.assertOpen();
    if (value.byteLength >= LARGE_VALUE_BYTES && this.path !== ':memory:') {
      this.largeInFlight++;
      const written = this.writesDone
        .then(() => this.writeInWorker(namespace, key, value, options.handOver === true))
        .finally(() => this.largeInFlight--);
      this.writesDone = written.catch(() => undefined);
      return written;
    }
    // After any large write still in flight, so the last put of a key wins.
    if (this.largeInFlight > 0) await this.writesDone;
    this.upsert.run(namespace, key, value);
  }

  async compareAndSet(
    namespace: string,
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
  ): Promise<boolean> {
    this.assertOpen();
    if (this.largeInFlight > 0) await this.writesDone;
    // IMMEDIATE: another connection (or process) cannot write between the read and the write.
    return this.db
      .transaction(() => {
        const current = this.selectValue.get(namespace, key);
        if (!sameBytes(current, expected)) return false;
        this.upsert.run(namespace, key, value);
        return true;
      })
      .immediate();
  }

  async copyTo(path: string): Promise<void> {
    this.assertOpen();
    if (this.path === ':memory:') throw new Error('an in-memory store has no file to copy');
    // Large values still on their way to the file belong in the copy.
    if (this.largeInFlight > 0) await this.writesDone;
    await copySqliteDatabase({ source: this.path, destination: path });
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.assertOpen();
    if (this.largeInFlight > 0) await this.writesDone;
    return this.deleteEntry.run(namespace, key).changes > 0;
  }

  private writeInWorker(
    namespace: string,
    key: string,
    value: Uint8Array,
    handOver: boolean,
  ): Promise<void> {
    const writer = this.startWriter();
    const id = this.nextWriteId++;
    // Copied unless handed over whole: callers may keep using their bytes, and a view of
    // part of a buffer would take the rest of it along.
    const transfer =
      handOver &&
      value.buffer instanceof ArrayBuffer &&
      value.byteOffset === 0 &&
      value.byteLength === value.buffer.byteLength
        ? [value.buffer]
        : [];
    return new Promise<void>((resolve, reject) => {
      this.pendingWrites.set(id, { resolve, reject });
      writer.postMessage({ id, namespace, key, value } satisfies LargeValueWrite, transfer);
      writer.ref();
    });
  }

  private startWriter(): Worker {
    if (this.writer !== undefined) return this.writer;
    const setup: LargeValueWorkerSetup = {
      path: this.path,
      synchronous: this.synchronous,
      upsertSql: UPSERT_SQL,
    };
    const writer = new Worker(new URL('./large-value-worker.js', import.meta.url), {
      workerData: setup,
    });
    writer.on('message', (reply: LargeValueReply) => {
      const pending = this.pendingWrites.get(reply.id);
      if (pending === undefined) return;
      this.pendingWrites.delete(reply.id);
      if (this.pendingWrites.size === 0) writer.unref();
      if (reply.ok) pending.resolve();
      else pending.reject(new Error(`writing a large value failed: ${reply.error}`));
    });
    writer.on('error', (error) => this.failPending(error));
    writer.on('exit', () => {
      this.writer = undefined;
      this.failPending(new Error('the large-value writer stopped'));
    });
    writer.unref();
    this.writer = writer;
    return writer;
  }

  private failPending(error: Error): void {
    for (const pending of this.pendingWrites.values()) pending.reject(error);
    this.pendingWrites.clear();
  }

  async list(namespace: string, options: ListOptions = {}): Promise<StoredEntry[]> {
    this.assertOpen();
    const { prefix = '', after, limit } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    if (limit === 0) return [];
    // Keys sharing a prefix form one contiguous run that starts at the prefix itself, so
    // the scan starts at whichever bound is later and stops at the first key outside it.
    const rows =
      after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0
        ? this.listAfter.iterate(namespace, after, limit ?? -1)
        : this.listFrom.iterate(namespace, prefix, limit ?? -1);
    const entries: StoredEntry[] = [];
    for (const row of rows) {
      if (!row.key.startsWith(prefix)) break;
      entries.push({ key: row.key, value: asPlainBytes(row.value) });
    }
    return entries;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writesDone;
    const writer = this.writer;
    if (writer !== undefined) {
      const exited = new Promise<void>((resolve) => writer.once('exit', () => resolve()));
      writer.ref();
      writer.postMessage('close');
      await exited;
    }
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the state store is closed');
  }
}

/**
 * The driver hands back Buffers; callers get a plain Uint8Array (a view, not a copy) so
 * that every adapter returns the same type and deep-equality checks agree across them.
 */
function asPlainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
