import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  ADMITTED,
  LoadShedder,
  POOL_INDEX,
  SHED_POOL_FULL,
  SHED_QUEUE_DELAY,
} from './load-shedder.js';

const READ = POOL_INDEX.read;
const BULK = POOL_INDEX.bulk;

test('pools are bulkheads: a full pool sheds its own requests only', () => {
  const shedder = new LoadShedder({
    limits: { read: 2, write: 1, bulk: 1, admin: 1 },
    maxDelayMs: 0,
  });
  assert.equal(shedder.admit(BULK), ADMITTED);
  assert.equal(shedder.admit(BULK), SHED_POOL_FULL);
  assert.equal(shedder.admit(READ), ADMITTED);
  assert.equal(shedder.admit(READ), ADMITTED);
  assert.equal(shedder.admit(READ), SHED_POOL_FULL);
  assert.equal(shedder.admit(POOL_INDEX.exempt), ADMITTED, 'exempt is never shed');
  shedder.release(READ);
  assert.equal(shedder.admit(READ), ADMITTED);
  assert.equal(shedder.shedCount('bulk', 'pool'), 1);
  assert.equal(shedder.shedCount('read', 'pool'), 1);
  assert.equal(shedder.inFlightOf('read'), 2);
});

/** Runs one event-loop turn in which `count` requests each take `costMs` (fake clock). */
async function turn(
  shedder: LoadShedder,
  clock: { t: number },
  count: number,
  costMs: number,
  pool = READ,
): Promise<number[]> {
  const results: number[] = [];
  for (let i = 0; i < count; i++) {
    const verdict = shedder.admit(pool);
    results.push(verdict);
    if (verdict === ADMITTED) {
      clock.t += costMs;
      shedder.release(pool);
    } else clock.t += 0.01;
  }
  await nextTurn(); // the shedder closes the turn in a setImmediate
  return results;
}

/** A delay guard alone (no pool limits), 10 ms ceiling, 50 ms grace, on a fake clock. */
function delayGuard(clock: { t: number }): LoadShedder {
  return new LoadShedder({
    limits: { read: 0, write: 0, bulk: 0, admin: 0 },
    maxDelayMs: 10,
    graceMs: 50,
    now: () => clock.t,
  });
}

test('a long request alone in its turn is not a queue: sequential clients are never shed', async () => {
  const clock = { t: 1000 };
  const shedder = new LoadShedder({
    limits: { read: 0, write: 0, bulk: 0, admin: 0 },
    maxDelayMs: 10,
    now: () => clock.t,
  });
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(await turn(shedder, clock, 1, 40), [ADMITTED]);
    clock.t += 0.1; // the client's round trip
  }
  assert.equal(shedder.shedding, false);
});

test('a standing queue is shed after the grace period, a burst is absorbed, calm ends shedding', async () => {
  const clock = { t: 1000 };
  const shedder = delayGuard(clock);
  // One burst of 30 x 1 ms: late requests, but no pressure yet.
  const burst = await turn(shedder, clock, 30, 1);
  assert.ok(burst.every((v) => v === ADMITTED));
  clock.t += 5; // idle
  await turn(shedder, clock, 1, 1);
  assert.equal(shedder.shedding, false);

  // Sustained: back-to-back turns of 30 requests.
  let shedSeen = false;
  for (let i = 0; i < 20; i++) {
    const verdicts = await turn(shedder, clock, 30, 1);
    if (verdicts.includes(SHED_QUEUE_DELAY)) {
      // Once shedding (from the turn after it began: that turn's first requests came before
      // the proof), only requests whose wait fits the target are admitted.
      const admitted = verdicts.filter((v) => v === ADMITTED).length;
      if (shedSeen) assert.ok(admitted <= 11, `admitted ${admitted} in a turn`);
      shedSeen = true;
    }
  }
  assert.ok(shedSeen);
  assert.ok(shedder.shedding);
  assert.ok(shedder.shedCount('read', 'delay') > 0);
  assert.ok(shedder.takeMaxWait() > 10);

  // Bulk writes give way while reads are being served.
  assert.equal(shedder.admit(BULK), SHED_QUEUE_DELAY);
  await nextTurn();

  // Calm: short turns with idle gaps for longer than the grace period.
  for (let i = 0; i < 40; i++) {
    clock.t += 2;
    assert.deepEqual(await turn(shedder, clock, 1, 0.5), [ADMITTED]);
  }
  assert.equal(shedder.shedding, false);
});

test('a loop idle for the grace period ends shedding: the next burst is not shed for the last overload', async () => {
  const clock = { t: 1000 };
  const shedder = delayGuard(clock);
  for (let i = 0; i < 20; i++) await turn(shedder, clock, 30, 1);
  assert.ok(shedder.shedding, 'a standing queue: shedding');
  clock.t += 40; // idle, shorter than the grace period: still shedding
  const early = await turn(shedder, clock, 30, 1);
  assert.ok(early.includes(SHED_QUEUE_DELAY));
  clock.t += 60; // idle for longer than the grace period
  const after = await turn(shedder, clock, 30, 1);
  assert.ok(
    after.every((v) => v === ADMITTED),
    'the first burst after the quiet spell is served',
  );
  assert.equal(shedder.shedding, false);
});

test('an import alone is never shed by the delay guard', async () => {
  const clock = { t: 1000 };
  const shedder = new LoadShedder({
    limits: { read: 0, write: 0, bulk: 4, admin: 0 },
    maxDelayMs: 10,
    now: () => clock.t,
  });
  for (let i = 0; i < 30; i++)
    assert.deepEqual(await turn(shedder, clock, 4, 80, BULK), [
      ADMITTED,
      ADMITTED,
      ADMITTED,
      ADMITTED,
    ]);
});

test('requests delayed by an import are served, not shed; the import gives way', async () => {
  const clock = { t: 1000 };
  const shedder = delayGuard(clock);
  for (let i = 0; i < 10; i++) await turn(shedder, clock, 30, 1);
  assert.ok(shedder.shedding);
  shedder.bulkBegan(); // a batch's body is in: it is being applied
  const during = await turn(shedder, clock, 30, 1);
  assert.ok(
    during.every((v) => v === ADMITTED),
    'late because of the import: served',
  );
  assert.equal(shedder.admit(BULK), SHED_QUEUE_DELAY, 'new imports give way');
  shedder.bulkEnded();
  const backlog = await turn(shedder, clock, 30, 1);
  assert.ok(
    backlog.every((v) => v === ADMITTED),
    'the backlog the batch left is served',
  );
  clock.t += 5; // a calm turn ends the import's shadow
  await turn(shedder, clock, 1, 1);
  clock.t += 5;
  const after = await turn(shedder, clock, 30, 1);
  assert.ok(after.includes(SHED_QUEUE_DELAY), 'an overload of their own is shed again');
});

/**
 * `clients` keep-alive clients, each sending its next request once it has its answer: turns
 * of one request per client back to back, each costing `costMs` (fake clock). With
 * `connections` false the shedder is not told whose request is whose. Returns the shed count.
 */
async function closedLoop(
  clients: number,
  costMs: number,
  connections: boolean,
  rounds = 300,
): Promise<number> {
  const clock = { t: 1000 };
  const shedder = delayGuard(clock);
  const sockets = Array.from({ length: clients }, () => ({}));
  let shed = 0;
  for (let round = 0; round < rounds; round++) {
    for (const socket of sockets) {
      const verdict = shedder.admit(READ, connections ? socket : undefined);
      clock.t += verdict === ADMITTED ? costMs : 0.01;
      if (verdict === ADMITTED) shedder.complete(READ, costMs);
      else shed++;
      shedder.answered(socket);
    }
    await nextTurn();
    clock.t += 0.1; // the clients' round trip
  }
  return shed;
}

test('keep-alive clients that wait for their answers are not taken for a queue they never formed', async () => {
  // 12 clients of 0.2 ms: each waits 2.4 ms at most (since its previous answer), under the
  // 3 ms floor; charged the whole previous turn besides, they looked 4.8 ms late.
  assert.equal(await closedLoop(12, 0.2, true), 0);
  // Without the connections the waits look long, but 12 clients queue 12 requests at most.
  assert.equal(await closedLoop(12, 0.2, false), 0);
  // 40 such clients do wait 8 ms for each answer, a queue no 16 clients can form: shed.
  assert.ok((await closedLoop(40, 0.2, true)) > 1000, 'a real standing queue is still shed');
});

test('up to 16 closed-loop clients are never shed, however slow and uneven their requests', async () => {
  // Cold requests of 20 ms among warm ones of 0.5 ms: the 16th client waits ~100 ms.
  for (const clients of [2, 8, 16]) {
    const clock = { t: 1000 };
    const shedder = delayGuard(clock);
    const sockets = Array.from({ length: clients }, () => ({}));
    let shed = 0;
    for (let round = 0; round < 200; round++) {
      sockets.forEach((socket, index) => {
        const cost = (round + index) % 5 === 0 ? 20 : 0.5;
        if (shedder.admit(READ, socket) === ADMITTED) {
          clock.t += cost;
          shedder.complete(READ, cost);
        } else shed++;
        shedder.answered(socket);
      });
      await nextTurn();
      clock.t += 0.1;
    }
    assert.equal(shed, 0, `${clients} clients`);
    assert.equal(shedder.shedding, false);
  }
});

test('after an open-loop overload, shedding pauses and closed-loop clients are served in full', async () => {
  const clock = { t: 1000 };
  const shedder = new LoadShedder({
    limits: { read: 0, write: 0, bulk: 0, admin: 0 },
    maxDelayMs: 10,
    graceMs: 50,
    probeAfterMs: 500,
    now: () => clock.t,
  });
  // Open loop: turns of 30 requests back to back.
  for (let i = 0; i < 40; i++) await turn(shedder, clock, 30, 1);
  assert.ok(shedder.shedding);
  // It stops; 8 clients that wait for their answers remain, and their requests are late.
  const sockets = Array.from({ length: 8 }, () => ({}));
  const shedAt: number[] = [];
  for (let round = 0; round < 400; round++) {
    for (const socket of sockets) {
      if (shedder.admit(READ, socket) === ADMITTED) {
        clock.t += 1;
        shedder.complete(READ, 1);
      } else {
        clock.t += 0.01;
        shedAt.push(clock.t);
      }
      shedder.answered(socket);
    }
    await nextTurn();
    clock.t += 0.1;
  }
  assert.equal(shedder.shedding, false);
  const last = shedAt.at(-1) ?? 0;
  assert.ok(last < 1000 + 40 * 30 + 600, `the last shed answer came at ${last} ms`);

  // An open loop that goes on is shed again at once after each pause, pausing less often.
  const served: number[] = [];
  for (let i = 0; i < 600; i++) {
    const verdicts = await turn(shedder, clock, 30, 1);
    if (i > 20 && !verdicts.includes(SHED_QUEUE_DELAY)) served.push(i);
  }
  assert.ok(shedder.shedding);
  assert.ok(served.length <= 4, `turns served in full during the overload: ${served.join(', ')}`);
});

test('a pipelined request (its connection answered in this very turn) is not bounded by that answer', async () => {
  const clock = { t: 1000 };
  const shedder = delayGuard(clock);
  const socket = {};
  let shed = 0;
  for (let round = 0; round < 100; round++) {
    // 30 requests read at once from one connection, each answered before the next runs.
    for (let i = 0; i < 30; i++) {
      if (shedder.admit(READ, socket) === ADMITTED) {
        clock.t += 1;
        shedder.complete(READ, 1);
      } else {
        clock.t += 0.01;
        shed++;
      }
      shedder.answered(socket);
    }
    await nextTurn();
  }
  assert.ok(shed > 1000, `shed ${shed}`);
});
