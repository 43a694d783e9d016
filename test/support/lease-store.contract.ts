import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaseStore } from '../../src/ports/lease-store.js';

export interface LeaseStoreFixture {
  readonly store: LeaseStore;
  /** A second instance on the same store (another node); give it for shared adapters. */
  readonly other?: () => Promise<LeaseStore>;
  readonly cleanup: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every LeaseStore adapter must show; each test gets a fresh store. */
export function runLeaseStoreContract(
  name: string,
  factory: () => Promise<LeaseStoreFixture>,
): void {
  describe(`LeaseStore contract: ${name}`, () => {
    const withStore = (
      title: string,
      body: (fixture: LeaseStoreFixture) => Promise<void>,
    ): void => {
      test(title, async () => {
        const fixture = await factory();
        try {
          await body(fixture);
        } finally {
          await fixture.cleanup();
        }
      });
    };

    withStore('one holder at a time; renewal keeps the token', async ({ store }) => {
      assert.equal(await store.current('leader'), undefined);
      const first = await store.acquire('leader', 'a', 10_000);
      assert.ok(first !== undefined);
      assert.equal(first.holder, 'a');
      assert.ok(first.token >= 1);
      assert.equal(await store.acquire('leader', 'b', 10_000), undefined);
      const renewed = await store.acquire('leader', 'a', 20_000);
      assert.equal(renewed?.token, first.token);
      assert.ok(renewed!.expiresAt > first.expiresAt);
      assert.equal((await store.current('leader'))?.holder, 'a');
      // Names are independent.
      assert.equal((await store.acquire('other-job', 'b', 10_000))?.holder, 'b');
    });

    withStore('a lapsed lease goes to the next asker, with a larger token', async ({ store }) => {
      const first = (await store.acquire('leader', 'a', 150))!;
      assert.equal(await store.acquire('leader', 'b', 10_000), undefined);
      await sleep(300);
      assert.equal(await store.current('leader'), undefined);
      const second = await store.acquire('leader', 'b', 10_000);
      assert.equal(second?.holder, 'b');
      assert.ok(second!.token > first.token);
      // The former holder's release of its old grant changes nothing.
      assert.equal(await store.release(first), false);
      assert.equal((await store.current('leader'))?.holder, 'b');
    });

    withStore('release frees it at once; tokens never go back', async ({ store }) => {
      const first = (await store.acquire('leader', 'a', 10_000))!;
      assert.equal(await store.release(first), true);
      assert.equal(await store.release(first), false);
      assert.equal(await store.current('leader'), undefined);
      const second = (await store.acquire('leader', 'b', 10_000))!;
      assert.ok(second.token > first.token);
      const third = (await store.acquire('leader', 'b', 10_000))!;
      assert.equal(third.token, second.token);
      await store.release(third);
      const fourth = (await store.acquire('leader', 'a', 10_000))!;
      assert.ok(fourth.token > third.token);
    });

    withStore(
      'racing askers, from this instance and another: exactly one wins',
      async (fixture) => {
        const stores = [fixture.store];
        if (fixture.other !== undefined) stores.push(await fixture.other());
        const granted = await Promise.all(
          Array.from({ length: 12 }, (_, n) =>
            stores[n % stores.length]!.acquire('leader', `node-${n}`, 10_000),
          ),
        );
        const winners = granted.filter((lease) => lease !== undefined);
        assert.equal(winners.length, 1);
        for (const store of stores)
          assert.equal((await store.current('leader'))?.holder, winners[0]!.holder);
      },
    );

    withStore('close is idempotent and later calls reject', async ({ store }) => {
      await store.close();
      await store.close();
      await assert.rejects(() => store.acquire('leader', 'a', 1000));
    });
  });
}
