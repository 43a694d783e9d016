import type { ListOptions, StateStore, StoredEntry } from '../../ports/state-store.js';
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

export class SqliteStateStore implements StateStore {
  private readonly db: SqliteDatabase;
  private readonly selectValue;
  private readonly upsert;
  private readonly deleteEntry;
  private readonly listFrom;
  private readonly listAfter;
  private closed = false;

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
    this.upsert = this.db.prepare<[string, string, Uint8Array]>(
      'INSERT OR REPLACE INTO state_values (namespace, key, value) VALUES (?, ?, ?)',
    );
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

  async put(namespace: string, key: string, value: Uint8Array): Promise<void> {
    this.assertOpen();
    this.upsert.run(namespace, key, value);
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.assertOpen();
    return this.deleteEntry.run(namespace, key).changes > 0;
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
