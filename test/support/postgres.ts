// The PostgreSQL server the cluster adapters' tests use: KINDRED_TEST_POSTGRES_URL, or the
// local one CI provides. With CI=true a missing server fails the tests; elsewhere they are
// skipped with the reason.
import pg from 'pg';

export const TEST_POSTGRES_URL =
  process.env['KINDRED_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Undefined when the server answers; otherwise why the tests cannot run (thrown in CI). */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({
    connectionString: TEST_POSTGRES_URL,
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    const reason = `no PostgreSQL at ${TEST_POSTGRES_URL} (${(error as Error).message})`;
    if (process.env['CI'] === 'true') throw new Error(`CI=true and ${reason}`);
    return reason;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let schemas = 0;

/** A fresh schema's URL for one test, and how to drop it afterwards. */
export function freshSchema(prefix: string): { url: string; drop: () => Promise<void> } {
  const schema = `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemas++}`;
  const url = `${TEST_POSTGRES_URL}${TEST_POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
