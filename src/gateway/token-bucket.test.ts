import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitHeaders } from './rate-limiter.js';
import { TokenBucketLimiter } from './token-bucket.js';
import { runRateLimiterContract } from '../../test/support/rate-limiter.contract.js';

test('a bucket allows its burst, then refills at the sustained rate', async () => {
  let now = 0;
  const limiter = new TokenBucketLimiter({ now: () => now, sweepEveryMs: 0 });
  const rule = { perSecond: 10, burst: 5 };
  for (let i = 0; i < 5; i++) {
    const d = limiter.take('k', rule);
    assert.ok(d.allowed);
    assert.equal(d.remaining, 4 - i);
  }
  const refused = limiter.take('k', rule);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 1);
  assert.equal(refused.resetSeconds, 1);
  now += 100; // one token
  assert.ok(limiter.take('k', rule).allowed);
  assert.equal(limiter.take('k', rule).allowed, false);
  assert.ok(limiter.take('other', rule).allowed, 'buckets are per key');
  now += 10_000;
  assert.equal(limiter.take('k', rule).remaining, 4, 'never more than the burst');
  await limiter.close();
});

test('headers follow the IETF draft fields', () => {
  const limiter = new TokenBucketLimiter({ now: () => 0, sweepEveryMs: 0 });
  const rule = { perSecond: 100, burst: 200 };
  const headers = rateLimitHeaders(limiter.take('k', rule), rule);
  assert.deepEqual(headers, {
    'ratelimit-limit': 200,
    'ratelimit-remaining': 199,
    'ratelimit-reset': 1,
    'ratelimit-policy': '200;w=2',
  });
});

test('memory is bounded: full buckets are swept, the oldest evicted beyond the cap', () => {
  let now = 0;
  const limiter = new TokenBucketLimiter({ now: () => now, sweepEveryMs: 0, maxBuckets: 1000 });
  const rule = { perSecond: 1, burst: 2 };
  for (let i = 0; i < 5000; i++) limiter.take(`addr-${i}`, rule);
  assert.ok(limiter.size <= 1000, `size ${limiter.size}`);
  now += 10_000;
  limiter.sweep();
  assert.equal(limiter.size, 0);
});

runRateLimiterContract('TokenBucketLimiter', async () => {
  const limiter = new TokenBucketLimiter();
  return { limiter, cleanup: () => limiter.close() };
});
