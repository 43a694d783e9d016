import type { Lease, LeaseStore } from '../../ports/lease-store.js';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.js';

interface GrantRow {
  readonly holder: string;
  readonly token: number;
  readonly expires_at: number;
}

/**
 * Leases in a SQLite file, for the processes of one machine sharing it (a server and a
 * `kindred` command). Each grant is decided in an IMMEDIATE transaction, so two processes
 * cannot both see a lease free; the clock is this machine's.
 */
export class SqliteLeaseStore implements LeaseStore {
  private readonly db: SqliteDatabase;
  private readonly select;
  private readonly upsert;
  private readonly expire;
  private closed = false;

  constructor(
    path: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.db = openSqliteDatabase(path, { synchronous: 'full' });
    this.db.exec(`CREATE TABLE IF NOT EXISTS leases (
      name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, expires_at REAL NOT NULL)`);
    this.select = this.db.prepare<[string], GrantRow>(
      'SELECT holder, token, expires_at FROM leases WHERE name = ?',
    );
    this.upsert = this.db.prepare<[string, string, number, number]>(
      'INSERT OR REPLACE INTO leases (name, holder, token, expires_at) VALUES (?, ?, ?, ?)',
    );
    this.expire = this.db.prepare<[number, string, string, number, number]>(
      'UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ? AND expires_at > ?',
    );
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    this.assertOpen();
    return this.db
      .transaction((): Lease | undefined => {
        const now = this.clock();
        const grant = this.select.get(name);
        const live = grant !== undefined && grant.expires_at > now;
        if (live && grant.holder !== holder) return undefined;
        const token = live ? grant.token : (grant?.token ?? 0) + 1;
        this.upsert.run(name, holder, token, now + ttlMs);
        return { name, holder, token, expiresAt: now + ttlMs };
      })
      .immediate();
  }

  async release(lease: Lease): Promise<boolean> {
    this.assertOpen();
    const now = this.clock();
    // The row and its token stay: the next grant of this name must carry a larger one.
    return this.expire.run(now, lease.name, lease.holder, lease.token, now).changes > 0;
  }

  async current(name: string): Promise<Lease | undefined> {
    this.assertOpen();
    const grant = this.select.get(name);
    if (grant === undefined || grant.expires_at <= this.clock()) return undefined;
    return { name, holder: grant.holder, token: grant.token, expiresAt: grant.expires_at };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the lease store is closed');
  }
}
