import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope, StoredEvent } from '../../src/core/events/envelope.js';
import type { AppendOutcome, EventLog } from '../../src/ports/event-log.js';

export interface EventLogFixture {
  readonly log: EventLog;
  /**
   * Opens the same underlying log again. Tests close the previous instance first and close
   * the reopened one themselves; give it only for adapters that keep data across instances.
   */
  readonly reopen?: () => Promise<EventLog>;
  /** Releases everything the fixture made (files, connections); runs after every test. */
  readonly cleanup: () => Promise<void>;
}

export type EventLogFactory = () => Promise<EventLogFixture>;

/**
 * The behaviour every EventLog adapter must show. Call it from an adapter's test file;
 * it registers one `describe` block whose tests each get a fresh, empty log.
 */
export function runEventLogContract(name: string, factory: EventLogFactory): void {
  describe(`EventLog contract: ${name}`, () => {
    const withLog = (
      title: string,
      body: (fixture: EventLogFixture, context: TestContext) => Promise<void>,
    ): void => {
      test(title, async (context) => {
        const fixture = await factory();
        try {
          await body(fixture, context);
        } finally {
          await fixture.cleanup();
        }
      });
    };

    withLog('a new log is empty', async ({ log }) => {
      assert.equal(await log.lastOffset(), 0);
      assert.equal(await log.count(), 0);
      assert.deepEqual(await log.readAfter(0, 10), []);
    });

    withLog(
      'append assigns strictly increasing positive offsets after lastOffset',
      async ({ log }) => {
        const first = await log.append(makeEvents(3));
        assertFreshOffsets(first, 0);
        assert.equal(await log.lastOffset(), lastOf(first).offset);

        const second = await log.append(makeEvents(4));
        assertFreshOffsets(second, lastOf(first).offset);
        assert.equal(await log.lastOffset(), lastOf(second).offset);
        assert.equal(await log.count(), 7);
      },
    );

    withLog(
      'readAfter returns exactly the events after an offset, in order, up to limit',
      async ({ log }) => {
        const events = makeEvents(10);
        const offsets = (await log.append(events)).map((outcome) => outcome.offset);
        const stored = events.map((event, index) => ({
          ...event,
          offset: offsets[index] as number,
        }));

        assert.deepEqual(await log.readAfter(0, 100), stored);
        assert.deepEqual(await log.readAfter(offsets[3] as number, 100), stored.slice(4));
        assert.deepEqual(await log.readAfter(offsets[3] as number, 2), stored.slice(4, 6));
        assert.deepEqual(await log.readAfter(0, 1), stored.slice(0, 1));
        assert.deepEqual(await log.readAfter(0, 0), []);
        assert.deepEqual(await log.readAfter(lastOf(stored).offset, 10), []);
      },
    );

    withLog(
      'deferred appends are ordered and read like any other, and kept by the next acknowledged one',
      async ({ log, reopen }) => {
        const [a, b, c] = [makeEvents(2), makeEvents(3), makeEvents(1)] as [
          EventEnvelope[],
          EventEnvelope[],
          EventEnvelope[],
        ];
        const first = await log.append(a);
        const deferred = await log.append(b, { durability: 'deferred' });
        assertFreshOffsets(deferred, lastOf(first).offset);
        const last = await log.append(c);
        assertFreshOffsets(last, lastOf(deferred).offset);
        const ids = [...a, ...b, ...c].map((event) => event.id);
        assert.deepEqual(
          (await log.readAfter(0, 100)).map((event) => event.id),
          ids,
        );
        const duplicate = await log.append([b[0]!], { durability: 'deferred' });
        assert.deepEqual(duplicate, [{ offset: deferred[0]!.offset, duplicate: true }]);
        if (reopen === undefined) return;
        await log.close();
        const reopened = await reopen();
        try {
          assert.deepEqual(
            (await reopened.readAfter(0, 100)).map((event) => event.id),
            ids,
          );
        } finally {
          await reopened.close();
        }
      },
    );

    withLog('every envelope field round-trips exactly', async ({ log }) => {
      const events = [
        makeEvent({
          type: 'interaction.recorded',
          version: 3,
          occurredAt: 1_700_000_000_123,
          receivedAt: 1_700_000_000_456,
          partitionKey: 'user:ünïcødé-用户-👩‍💻',
          payload: {
            userId: 'u-42',
            itemIds: ['a', 'b', 'c'],
            weight: -1.25,
            tiny: 5e-324,
            huge: 1.7976931348623157e308,
            safe: Number.MAX_SAFE_INTEGER,
            flags: { liked: true, skipped: false, note: null },
            nested: [[1, [2, [3, { deep: ['x'] }]]], {}, []],
            text: 'emoji 🎉👍🏽, CJK 推荐引擎, RTL עברית, combining é, quote " backslash \\ tab \t newline \n nul \u0000',
            '': 'empty key',
            'key with spaces/and.dots': 1,
          },
          metadata: { source: 'sdk-js', traceId: 'ab12', note: 'ünïcødé ✓' },
        }),
        makeEvent({ payload: null, metadata: {} }),
        makeEvent({ payload: 'just a string' }),
        makeEvent({ payload: 0 }),
        makeEvent({ payload: [] }),
        makeEvent({ payload: {}, version: 1, occurredAt: 0, receivedAt: 1 }),
      ];
      const outcomes = await log.append(events);
      const expected = events.map((event, index) => ({
        ...event,
        offset: outcomes[index]?.offset,
      }));
      assert.deepEqual(await log.readAfter(0, 100), expected);
    });

    withLog(
      'an id already in the log is a duplicate: first offset reported, nothing written',
      async ({ log }) => {
        const [a, b, c, d] = makeEvents(4) as [
          EventEnvelope,
          EventEnvelope,
          EventEnvelope,
          EventEnvelope,
        ];
        const first = await log.append([a, b]);
        const retry = { ...a, payload: { changed: true }, receivedAt: a.receivedAt + 1 };
        const second = await log.append([c, retry, d]);

        assert.equal(second[0]?.duplicate, false);
        assert.deepEqual(second[1], { offset: first[0]?.offset, duplicate: true });
        assert.equal(second[2]?.duplicate, false);
        assert.ok((second[2]?.offset ?? 0) > (second[0]?.offset ?? 0));
        assert.equal(await log.count(), 4);
        const stored = await log.readAfter(0, 10);
        assert.deepEqual(
          stored.map((event) => event.id),
          [a.id, b.id, c.id, d.id],
        );
        assert.deepEqual(stored[0]?.payload, a.payload, 'the first copy is kept');
      },
    );

    withLog('an id repeated within one batch is written once', async ({ log }) => {
      const [x, y, z] = makeEvents(3) as [EventEnvelope, EventEnvelope, EventEnvelope];
      const outcomes = await log.append([x, y, { ...x, payload: 'second copy' }, z, { ...y }]);

      assert.deepEqual(
        outcomes.map((outcome) => outcome.duplicate),
        [false, false, true, false, true],
      );
      assert.equal(outcomes[2]?.offset, outcomes[0]?.offset);
      assert.equal(outcomes[4]?.offset, outcomes[1]?.offset);
      assert.equal(await log.count(), 3);
      const stored = await log.readAfter(0, 10);
      assert.deepEqual(
        stored.map((event) => event.id),
        [x.id, y.id, z.id],
      );
      assert.deepEqual(stored[0]?.payload, x.payload);
    });

    withLog(
      'duplicates scattered through a large batch each point at their first copy',
      async ({ log }) => {
        const older = makeEvents(10);
        const olderOutcomes = await log.append(older);
        const fresh = makeEvents(240);
        const batch: EventEnvelope[] = [];
        fresh.forEach((event, index) => {
          batch.push(event);
          if (index % 7 === 3) batch.push(older[index % older.length] as EventEnvelope);
          if (index % 11 === 5)
            batch.push({ ...(fresh[index - (index % 4)] as EventEnvelope), payload: 'copy' });
          if (index % 50 === 49) batch.push(fresh[index - 40] as EventEnvelope);
        });
        batch.push(older[0] as EventEnvelope, fresh[0] as EventEnvelope);

        const outcomes = await log.append(batch);
        const firstOffsetById = new Map(
          older.map((event, index) => [event.id, olderOutcomes[index]?.offset]),
        );
        let previous = lastOf(olderOutcomes).offset;
        batch.forEach((event, index) => {
          const outcome = outcomes[index];
          const first = firstOffsetById.get(event.id);
          if (first === undefined) {
            assert.equal(outcome?.duplicate, false, `row ${index} is the first copy`);
            assert.ok((outcome?.offset ?? 0) > previous, `row ${index} offset does not increase`);
            previous = outcome?.offset ?? 0;
            firstOffsetById.set(event.id, previous);
          } else {
            assert.deepEqual(outcome, { offset: first, duplicate: true }, `row ${index} is a copy`);
          }
        });
        assert.equal(await log.count(), 250);
        const stored = await log.readAfter(lastOf(olderOutcomes).offset, 1_000);
        assert.deepEqual(
          stored,
          fresh.map((event) => ({ ...event, offset: firstOffsetById.get(event.id) })),
        );
      },
    );

    withLog('a batch made only of duplicates changes nothing', async ({ log }) => {
      const events = makeEvents(3);
      const first = await log.append(events);
      const again = await log.append([...events].reverse());
      assert.deepEqual(
        again,
        [...first].reverse().map((outcome) => ({ offset: outcome.offset, duplicate: true })),
      );
      assert.equal(await log.count(), 3);
      assert.equal(await log.lastOffset(), lastOf(first).offset);
    });

    withLog('an empty batch is a no-op', async ({ log }) => {
      assert.deepEqual(await log.append([]), []);
      assert.equal(await log.count(), 0);
      assert.equal(await log.lastOffset(), 0);

      const first = await log.append(makeEvents(2));
      assert.deepEqual(await log.append([]), []);
      assert.equal(await log.count(), 2);
      assert.equal(await log.lastOffset(), lastOf(first).offset);
      assertFreshOffsets(await log.append(makeEvents(1)), lastOf(first).offset);
    });

    withLog('count and lastOffset track appends, ignoring duplicates', async ({ log }) => {
      const events = makeEvents(5);
      const outcomes = await log.append(events.slice(0, 3));
      assert.equal(await log.count(), 3);
      assert.equal(await log.lastOffset(), lastOf(outcomes).offset);
      const more = await log.append(events);
      assert.equal(await log.count(), 5);
      assert.equal(await log.lastOffset(), lastOf(more).offset);
    });

    withLog('a batch that fails part-way writes nothing', async ({ log }) => {
      const [good, other] = makeEvents(2) as [EventEnvelope, EventEnvelope];
      const unserialisable = makeEvent({ payload: { count: 10n } });
      await assert.rejects(log.append([good, unserialisable, other]));
      assert.equal(await log.count(), 0);
      assert.equal(await log.lastOffset(), 0);

      const retried = await log.append([good, other]);
      assert.deepEqual(
        retried.map((outcome) => outcome.duplicate),
        [false, false],
        'ids of a failed batch were not recorded',
      );
    });

    withLog('a large batch (20,000 events) appends atomically', async ({ log }) => {
      await log.append(makeEvents(5));
      const broken = [...makeEvents(19_999), makeEvent({ payload: { count: 1n } })];
      await assert.rejects(log.append(broken));
      assert.equal(await log.count(), 5);

      const events = makeEvents(20_000);
      const outcomes = await log.append(events);
      assert.equal(outcomes.length, 20_000);
      assertFreshOffsets(outcomes, 5);
      assert.equal(await log.count(), 20_005);
      const stored = await log.readAfter(lastOf(outcomes).offset - 1, 10);
      assert.deepEqual(stored, [{ ...lastOf(events), offset: lastOf(outcomes).offset }]);
      const all = await log.readAfter(5, 20_000);
      assert.deepEqual(
        all.map((event) => event.id),
        events.map((event) => event.id),
      );
    });

    withLog('concurrent append calls never interleave or lose events', async ({ log }) => {
      const batches = Array.from({ length: 20 }, () => makeEvents(250));
      const results = await Promise.all(batches.map((batch) => log.append(batch)));

      const ranges = results.map((outcomes) => {
        assert.ok(outcomes.every((outcome) => !outcome.duplicate));
        assertFreshOffsets(outcomes, 0);
        return { first: outcomes[0]?.offset ?? 0, last: lastOf(outcomes).offset };
      });
      const inLogOrder = ranges
        .map((range, index) => ({ ...range, index }))
        .sort((left, right) => left.first - right.first);
      for (let i = 1; i < inLogOrder.length; i++) {
        const previous = inLogOrder[i - 1];
        const current = inLogOrder[i];
        assert.ok(previous && current && previous.last < current.first, 'batches interleaved');
      }
      assert.equal(await log.count(), 5_000);
      const stored = await log.readAfter(0, 10_000);
      assert.deepEqual(
        stored.map((event) => event.id),
        inLogOrder.flatMap(({ index }) => (batches[index] ?? []).map((event) => event.id)),
      );
    });

    withLog('concurrent appends of the same id store it once', async ({ log }) => {
      const shared = makeEvent();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => log.append([makeEvent(), shared, makeEvent()])),
      );
      const sharedOutcomes = results.map((outcomes) => outcomes[1] as AppendOutcome);
      assert.equal(sharedOutcomes.filter((outcome) => !outcome.duplicate).length, 1);
      assert.equal(new Set(sharedOutcomes.map((outcome) => outcome.offset)).size, 1);
      assert.equal(await log.count(), 11);
    });

    withLog('subscribe delivers the backlog, then new events, in order', async ({ log }) => {
      const backlog = await log.append(makeEvents(5));
      const received: StoredEvent[] = [];
      const subscription = log.subscribe(backlog[1]?.offset ?? 0, (batch) => {
        received.push(...batch);
      });
      try {
        await waitUntil(() => received.length === 3);
        const live = makeEvents(4);
        await log.append(live.slice(0, 1));
        await waitUntil(() => received.length === 4);
        await log.append(live.slice(1));
        await waitUntil(() => received.length === 7);
        await pause(30);

        assert.deepEqual(received, await log.readAfter(backlog[1]?.offset ?? 0, 100));
        assert.deepEqual(
          received.slice(3).map((event) => event.id),
          live.map((event) => event.id),
        );
      } finally {
        await subscription.close();
      }
    });

    withLog('subscribe skips what the subscriber already has by other means', async ({ log }) => {
      const delivered: number[] = [];
      let applied = 0;
      const subscription = log.subscribe(
        0,
        (batch) => {
          for (const event of batch) delivered.push(event.offset);
          applied = lastOf(batch).offset;
        },
        { position: () => applied },
      );
      // A writer that applies its own appends at once: the subscription must not re-deliver.
      const own = await log.append(makeEvents(5));
      applied = lastOf(own).offset;
      await pause(100);
      assert.deepEqual(delivered, []);
      const more = await log.append(makeEvents(3));
      await waitUntil(() => delivered.length === 3);
      assert.deepEqual(
        delivered,
        more.map((outcome) => outcome.offset),
      );
      await subscription.close();
    });

    withLog('subscribe on an empty log waits for the first event', async ({ log }) => {
      const received: StoredEvent[] = [];
      const subscription = log.subscribe(0, (batch) => {
        received.push(...batch);
      });
      try {
        await pause(20);
        assert.equal(received.length, 0);
        const [event] = makeEvents(1) as [EventEnvelope];
        const [outcome] = await log.append([event]);
        await waitUntil(() => received.length === 1);
        assert.deepEqual(received, [{ ...event, offset: outcome?.offset }]);
      } finally {
        await subscription.close();
      }
    });

    withLog('subscribe from lastOffset delivers only what comes after', async ({ log }) => {
      await log.append(makeEvents(3));
      const received: StoredEvent[] = [];
      const subscription = log.subscribe(await log.lastOffset(), (batch) => {
        received.push(...batch);
      });
      try {
        const live = makeEvents(2);
        await log.append(live);
        await waitUntil(() => received.length === 2);
        await pause(20);
        assert.deepEqual(
          received.map((event) => event.id),
          live.map((event) => event.id),
        );
      } finally {
        await subscription.close();
      }
    });

    withLog('subscribe awaits the listener before delivering the next batch', async ({ log }) => {
      const received: number[] = [];
      let running = 0;
      let mostAtOnce = 0;
      const subscription = log.subscribe(0, async (batch) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await pause(15);
        received.push(...batch.map((event) => event.offset));
        running--;
      });
      try {
        const appended: number[] = [];
        for (let round = 0; round < 6; round++) {
          const outcomes = await log.append(makeEvents(3));
          appended.push(...outcomes.map((outcome) => outcome.offset));
          await pause(5);
        }
        await waitUntil(() => received.length === appended.length);
        await pause(30);
        assert.equal(mostAtOnce, 1, 'the listener ran concurrently with itself');
        assert.deepEqual(received, appended);
      } finally {
        await subscription.close();
      }
    });

    withLog(
      'subscribe delivers a large backlog completely, once each, in order',
      async ({ log }) => {
        const outcomes = await log.append(makeEvents(12_000));
        const received: number[] = [];
        const subscription = log.subscribe(0, (batch) => {
          for (const event of batch) received.push(event.offset);
        });
        try {
          await waitUntil(() => received.length >= 12_000);
          await pause(20);
          assert.deepEqual(
            received,
            outcomes.map((outcome) => outcome.offset),
          );
        } finally {
          await subscription.close();
        }
      },
    );

    withLog(
      'events appended from inside the listener are delivered afterwards',
      async ({ log }) => {
        const received: string[] = [];
        const followUps = makeEvents(3);
        let next = 0;
        const subscription = log.subscribe(0, async (batch) => {
          received.push(...batch.map((event) => event.id));
          const followUp = followUps[next++];
          if (followUp) await log.append([followUp]);
        });
        try {
          const [first] = makeEvents(1) as [EventEnvelope];
          await log.append([first]);
          await waitUntil(() => received.length === 4);
          await pause(20);
          assert.deepEqual(received, [first.id, ...followUps.map((event) => event.id)]);
        } finally {
          await subscription.close();
        }
      },
    );

    withLog('subscriptions are independent of each other', async ({ log }) => {
      const initial = await log.append(makeEvents(4));
      const fromStart: number[] = [];
      const fromTwo: number[] = [];
      const first = log.subscribe(0, (batch) => {
        fromStart.push(...batch.map((event) => event.offset));
      });
      const second = log.subscribe(initial[1]?.offset ?? 0, async (batch) => {
        await pause(5);
        fromTwo.push(...batch.map((event) => event.offset));
      });
      try {
        await log.append(makeEvents(2));
        const all = (await log.readAfter(0, 100)).map((event) => event.offset);
        await waitUntil(() => fromStart.length === 6 && fromTwo.length === 4);
        assert.deepEqual(fromStart, all);
        assert.deepEqual(fromTwo, all.slice(2));
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    withLog('close() stops delivery and waits for a listener call in flight', async ({ log }) => {
      let deliveredBatches = 0;
      let listenerFinished = false;
      const subscription = log.subscribe(0, async () => {
        deliveredBatches++;
        await pause(40);
        listenerFinished = true;
      });
      await log.append(makeEvents(1));
      await waitUntil(() => deliveredBatches === 1);
      await subscription.close();
      assert.equal(listenerFinished, true, 'close() returned while the listener was running');

      await log.append(makeEvents(3));
      await pause(150);
      assert.equal(deliveredBatches, 1);
      await subscription.close();
    });

    withLog('closing the log ends its subscriptions', async ({ log }) => {
      let delivered = 0;
      const subscription = log.subscribe(0, () => {
        delivered++;
      });
      await log.append(makeEvents(1));
      await waitUntil(() => delivered === 1);
      await log.close();
      await subscription.close();
      assert.equal(delivered, 1);
    });

    withLog('close is idempotent and later calls reject', async ({ log }) => {
      await log.append(makeEvents(1));
      await log.close();
      await log.close();
      await assert.rejects(log.append(makeEvents(1)));
      await assert.rejects(log.readAfter(0, 10));
      await assert.rejects(log.count());
    });

    withLog('appended events survive close and reopen', async ({ log, reopen }, context) => {
      if (reopen === undefined) {
        context.skip('the adapter keeps nothing across instances');
        return;
      }
      const events = makeEvents(50);
      const outcomes = await log.append(events);
      await log.close();

      const reopened = await reopen();
      try {
        assert.equal(await reopened.count(), 50);
        assert.equal(await reopened.lastOffset(), lastOf(outcomes).offset);
        assert.deepEqual(
          await reopened.readAfter(0, 100),
          events.map((event, index) => ({ ...event, offset: outcomes[index]?.offset })),
        );

        const again = await reopened.append([events[7] as EventEnvelope, ...makeEvents(2)]);
        assert.deepEqual(again[0], { offset: outcomes[7]?.offset, duplicate: true });
        assertFreshOffsets(again.slice(1), lastOf(outcomes).offset);

        const received: number[] = [];
        const subscription = reopened.subscribe(0, (batch) => {
          received.push(...batch.map((event) => event.offset));
        });
        await waitUntil(() => received.length === 52);
        await subscription.close();
      } finally {
        await reopened.close();
      }
    });
  });
}

let eventCounter = 0;
const runId = `${process.pid}-${Date.now().toString(36)}`;

function makeEvent(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  const n = ++eventCounter;
  return {
    id: `contract-${runId}-${n}`,
    type: 'interaction.recorded',
    version: 1,
    occurredAt: 1_700_000_000_000 + n,
    receivedAt: 1_700_000_000_500 + n,
    partitionKey: `user-${n % 7}`,
    payload: { userId: `user-${n % 7}`, itemId: `item-${n % 101}`, kind: 'view', n },
    metadata: { source: 'contract' },
    ...overrides,
  };
}

function makeEvents(count: number): EventEnvelope[] {
  return Array.from({ length: count }, () => makeEvent());
}

function lastOf<T>(items: readonly T[]): T {
  const last = items.at(-1);
  assert.ok(last !== undefined, 'expected a non-empty list');
  return last;
}

/** Newly written, positive, strictly increasing, all above `previousLast`. */
function assertFreshOffsets(outcomes: readonly AppendOutcome[], previousLast: number): void {
  let previous = previousLast;
  for (const outcome of outcomes) {
    assert.equal(outcome.duplicate, false);
    assert.ok(Number.isSafeInteger(outcome.offset), `offset ${outcome.offset} is not an integer`);
    assert.ok(outcome.offset > previous, `offset ${outcome.offset} does not follow ${previous}`);
    previous = outcome.offset;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await pause(2);
  }
}
