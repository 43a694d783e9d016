import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';

export interface RateLimiterFixture {
  readonly limiter: RateLimiter;
  /** Another instance on the same buckets (another API node); give it for shared adapters. */
  readonly other?: () => Promise<RateLimiter>;
  readonly cleanup: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
let runs = 0;

/** The behaviour every RateLimiter adapter must show; keys are fresh for every test. */
export function runRateLimiterContract(
  name: string,
  factory: () => Promise<RateLimiterFixture>,
): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const withLimiter = (
      title: string,
      body: (fixture: RateLimiterFixture, key: (name: string) => string) => Promise<void>,
    ): void => {
      test(title, async () => {
        const fixture = await factory();
        const run = `${process.pid}-${Date.now().toString(36)}-${runs++}`;
        try {
          await body(fixture, (name) => `contract:${run}:${name}`);
        } finally {
          await fixture.cleanup();
        }
      });
    };

    withLimiter(
      'a burst is let through, then refused with a retry time; keys are separate',
      async ({ limiter }, key) => {
        const rule = { perSecond: 1, burst: 3 };
        const decisions = [];
        for (let n = 0; n < 4; n++) decisions.push(await limiter.take(key('a'), rule));
        assert.deepEqual(
          decisions.map((d) => [d.allowed, d.remaining, d.limit]),
          [
            [true, 2, 3],
            [true, 1, 3],
            [true, 0, 3],
            [false, 0, 3],
          ],
        );
        assert.ok(decisions[3]!.retryAfterSeconds >= 1);
        assert.equal(decisions[0]!.retryAfterSeconds, 0);
        assert.ok(decisions[2]!.resetSeconds >= 2 && decisions[2]!.resetSeconds <= 3);
        assert.equal((await limiter.take(key('b'), rule)).allowed, true);
      },
    );

    withLimiter("tokens come back at the rule's rate", async ({ limiter }, key) => {
      const rule = { perSecond: 20, burst: 2 };
      assert.equal((await limiter.take(key('a'), rule)).allowed, true);
      assert.equal((await limiter.take(key('a'), rule)).allowed, true);
      assert.equal((await limiter.take(key('a'), rule)).allowed, false);
      await sleep(160);
      assert.equal((await limiter.take(key('a'), rule)).allowed, true);
    });

    withLimiter('a cost takes several tokens; a refusal takes none', async ({ limiter }, key) => {
      const rule = { perSecond: 0.01, burst: 5 };
      assert.deepEqual(
        [await limiter.take(key('a'), rule, 3), await limiter.take(key('a'), rule, 3)].map((d) => [
          d.allowed,
          d.remaining,
        ]),
        [
          [true, 2],
          [false, 2],
        ],
      );
      assert.equal((await limiter.take(key('a'), rule, 2)).allowed, true);
    });

    withLimiter('instances sharing the buckets share one limit', async (fixture, key) => {
      const limiters = [fixture.limiter];
      if (fixture.other !== undefined) limiters.push(await fixture.other());
      const rule = { perSecond: 0.01, burst: 4 };
      let allowed = 0;
      for (let n = 0; n < 10; n++)
        if ((await limiters[n % limiters.length]!.take(key('shared'), rule)).allowed) allowed++;
      assert.equal(allowed, 4);
    });
  });
}
