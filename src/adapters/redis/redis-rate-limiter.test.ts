import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRateLimiterContract } from '../../../test/support/rate-limiter.contract.js';
import { TEST_REDIS_URL, redisUnavailable } from '../../../test/support/redis.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

const unavailable = await redisUnavailable();

if (unavailable !== undefined) {
  test('RedisRateLimiter', { skip: unavailable }, () => undefined);
} else {
  runRateLimiterContract('RedisRateLimiter (two clients)', async () => {
    // A generous timeout: on a loaded CI machine a first call (connecting, loading the
    // script) may take longer than the default, and would be let through, not decided.
    const opened = [new RedisRateLimiter({ url: TEST_REDIS_URL, timeoutMs: 5000 })];
    return {
      limiter: opened[0]!,
      other: async () => {
        const limiter = new RedisRateLimiter({ url: TEST_REDIS_URL, timeoutMs: 5000 });
        opened.push(limiter);
        return limiter;
      },
      cleanup: async () => {
        await Promise.all(opened.map((limiter) => limiter.close()));
      },
    };
  });
}

test('without Redis, requests are let through and counted as failures', async () => {
  const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:1', timeoutMs: 50 });
  try {
    const decision = await limiter.take('k', { perSecond: 1, burst: 2 });
    assert.equal(decision.allowed, true);
    assert.equal(limiter.failures, 1);
  } finally {
    await limiter.close();
  }
});
