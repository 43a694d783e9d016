import type pg from 'pg';
import type { ListOptions, PutOptions, StateStore, StoredEntry } from '../../ports/state-store.js';
import {
  type PostgresTarget,
  createPool,
  createTables,
  postgresTarget,
} from './postgres-connection.js';

export interface PostgresStateStoreOptions {
  /** `postgres://user@host:port/database?schema=name` (schema default `kindred`). */
  readonly url: string;
  readonly poolSize?: number;
}

/**
 * The state store on PostgreSQL: one row per key, the value as bytea. Keys are compared
 * with the "C" collation, which orders UTF-8 text by its bytes, as the port requires.
 */
export class PostgresStateStore implements StateStore {
  private readonly target: PostgresTarget;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(options: PostgresStateStoreOptions) {
    this.target = postgresTarget(options.url);
    this.pool = createPool(this.target, options.poolSize ?? 4);
    this.table = `"${this.target.schema}".state`;
    this.ready = this.createTable();
    this.ready.catch(() => undefined);
  }

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    this.assertOpen();
    await this.ready;
    const result = await this.pool.query<{ value: Buffer }>(
      `SELECT value FROM ${this.table} WHERE namespace = $1 AND key = $2`,
      [namespace, key],
    );
    const value = result.rows[0]?.value;
    return value === undefined
      ? undefined
      : new Uint8Array(value.buffer, value.byteOffset, value.length);
  }

  async put(
    namespace: string,
    key: string,
    value: Uint8Array,
    _options?: PutOptions,
  ): Promise<void> {
    this.assertOpen();
    await this.ready;
    await this.pool.query(
      `INSERT INTO ${this.table} (namespace, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value`,
      [namespace, key, bytes(value)],
    );
  }

  async compareAndSet(
    namespace: string,
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
  ): Promise<boolean> {
    this.assertOpen();
    await this.ready;
    // One statement each way: the row lock (or the primary key) decides between racers.
    const result =
      expected === undefined
        ? await this.pool.query(
            `INSERT INTO ${this.table} (namespace, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (namespace, key) DO NOTHING`,
            [namespace, key, bytes(value)],
          )
        : await this.pool.query(
            `UPDATE ${this.table} SET value = $3 WHERE namespace = $1 AND key = $2 AND value = $4`,
            [namespace, key, bytes(value), bytes(expected)],
          );
    return result.rowCount === 1;
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    this.assertOpen();
    await this.ready;
    const result = await this.pool.query(
      `DELETE FROM ${this.table} WHERE namespace = $1 AND key = $2`,
      [namespace, key],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async list(namespace: string, options: ListOptions = {}): Promise<StoredEntry[]> {
    this.assertOpen();
    await this.ready;
    const conditions = ['namespace = $1'];
    const values: unknown[] = [namespace];
    if (options.prefix !== undefined && options.prefix !== '') {
      values.push(options.prefix);
      conditions.push(`starts_with(key, $${values.length})`);
    }
    if (options.after !== undefined) {
      values.push(options.after);
      conditions.push(`key > $${values.length}`);
    }
    let limit = '';
    if (options.limit !== undefined) {
      if (!Number.isInteger(options.limit) || options.limit < 0)
        throw new RangeError(`limit must be a non-negative integer, got ${options.limit}`);
      values.push(options.limit);
      limit = ` LIMIT $${values.length}`;
    }
    const result = await this.pool.query<{ key: string; value: Buffer }>(
      `SELECT key, value FROM ${this.table} WHERE ${conditions.join(' AND ')} ORDER BY key${limit}`,
      values,
    );
    return result.rows.map((row) => ({
      key: row.key,
      value: new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.length),
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }

  private createTable(): Promise<void> {
    return createTables(this.pool, this.target, [
      `CREATE TABLE IF NOT EXISTS ${this.table} (
           namespace text COLLATE "C" NOT NULL,
           key text COLLATE "C" NOT NULL,
           value bytea NOT NULL,
           PRIMARY KEY (namespace, key))`,
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the state store is closed');
  }
}

function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
