import type pg from 'pg';
import type { Lease, LeaseStore } from '../../ports/lease-store.js';
import {
  type PostgresTarget,
  createPool,
  createTables,
  postgresTarget,
  toNumber,
} from './postgres-connection.js';

interface GrantRow {
  readonly holder: string;
  readonly token: string;
  readonly expires_at: number;
}

/**
 * Leases in PostgreSQL, for a cluster: each grant is one statement (an upsert that only
 * takes a lease that is free, lapsed or the caller's own), and time is the database's
 * clock, so nodes whose clocks disagree still agree on who holds what.
 */
export class PostgresLeaseStore implements LeaseStore {
  private readonly target: PostgresTarget;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(options: { readonly url: string; readonly poolSize?: number }) {
    this.target = postgresTarget(options.url);
    this.pool = createPool(this.target, options.poolSize ?? 2);
    this.table = `"${this.target.schema}".leases`;
    this.ready = this.createTable();
    this.ready.catch(() => undefined);
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    this.assertOpen();
    await this.ready;
    const result = await this.pool.query<GrantRow>(
      `INSERT INTO ${this.table} AS lease (name, holder, token, expires_at)
         VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET
         holder = excluded.holder,
         token = CASE WHEN lease.holder = excluded.holder AND lease.expires_at > clock_timestamp()
                      THEN lease.token ELSE lease.token + 1 END,
         expires_at = excluded.expires_at
       WHERE lease.holder = excluded.holder OR lease.expires_at <= clock_timestamp()
       RETURNING holder, token, extract(epoch FROM expires_at) * 1000 AS expires_at`,
      [name, holder, ttlMs],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toLease(name, row);
  }

  async release(lease: Lease): Promise<boolean> {
    this.assertOpen();
    await this.ready;
    // The row and its token stay: the next grant of this name must carry a larger one.
    const result = await this.pool.query(
      `UPDATE ${this.table} SET expires_at = clock_timestamp()
        WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > clock_timestamp()`,
      [lease.name, lease.holder, lease.token],
    );
    return result.rowCount === 1;
  }

  async current(name: string): Promise<Lease | undefined> {
    this.assertOpen();
    await this.ready;
    const result = await this.pool.query<GrantRow>(
      `SELECT holder, token, extract(epoch FROM expires_at) * 1000 AS expires_at
         FROM ${this.table} WHERE name = $1 AND expires_at > clock_timestamp()`,
      [name],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toLease(name, row);
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
           name text PRIMARY KEY,
           holder text NOT NULL,
           token int8 NOT NULL,
           expires_at timestamptz NOT NULL)`,
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the lease store is closed');
  }
}

function toLease(name: string, row: GrantRow): Lease {
  return {
    name,
    holder: row.holder,
    token: toNumber(row.token),
    expiresAt: toNumber(row.expires_at),
  };
}
