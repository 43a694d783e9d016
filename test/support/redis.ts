// The Redis server the cluster adapters' tests use: KINDRED_TEST_REDIS_URL, or the local
// one CI provides. With CI=true a missing server fails the tests; elsewhere they are
// skipped with the reason.
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env['KINDRED_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Undefined when the server answers; otherwise why the tests cannot run (thrown in CI). */
export async function redisUnavailable(): Promise<string | undefined> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    const reason = `no Redis at ${TEST_REDIS_URL} (${(error as Error).message})`;
    if (process.env['CI'] === 'true') throw new Error(`CI=true and ${reason}`);
    return reason;
  } finally {
    client.disconnect();
  }
}
