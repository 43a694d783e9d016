// A connection pool for one PostgreSQL URL, and the schema Kindred's tables live in.
import pg from 'pg';

export interface PostgresTarget {
  /** The URL without Kindred's own parameters, as `pg` takes it. */
  readonly connectionString: string;
  /** Schema of Kindred's tables (`?schema=` in the URL; default `kindred`). */
  readonly schema: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads `postgres://user@host:port/database?schema=name`. The schema is a parameter of
 * Kindred's, not of the driver's, so it is taken out; it is quoted into statements and
 * must therefore be a plain lower-case identifier.
 */
export function postgresTarget(url: string): PostgresTarget {
  const parsed = new URL(url.replace(/^postgresql:/, 'postgres:'));
  const schema = parsed.searchParams.get('schema') ?? 'kindred';
  if (!SCHEMA_NAME.test(schema))
    throw new Error(
      `PostgreSQL schema "${schema}" must be a lower-case identifier (letters, digits, _)`,
    );
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/** Positions and counts come back as strings (int8); they stay below 2^53. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function createPool(target: PostgresTarget, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: target.connectionString, max });
  // An idle client losing its connection (a server restart) must not crash the process;
  // the pool replaces it, and the next query reports any lasting failure.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `body` in a transaction on one client; rolls back when it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  body: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Creates the schema and runs `statements` (CREATE ... IF NOT EXISTS) in one transaction,
 * under an advisory lock: two processes creating the same tables at once would otherwise
 * collide in the catalog.
 */
export async function createTables(
  pool: pg.Pool,
  target: PostgresTarget,
  statements: readonly string[],
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `kindred-schema:${target.schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
    for (const statement of statements) await client.query(statement);
  });
}
