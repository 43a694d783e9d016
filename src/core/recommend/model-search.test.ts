import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import { createRandom } from '../models/random.js';
import { ON_CALLING_THREAD } from '../models/ials-threads.js';
import type { InteractionLog } from './interaction-views.js';
import { LogHistories, relevantFromRows, splitRows } from './offline.js';
import { searchPipeline } from './model-search.js';

const types = new InteractionTypes();
const CLICK = types.indexOf('click')!;
const DISLIKE = types.indexOf('dislike')!;

/** 60 users in 3 taste groups over 45 items; a few dislikes across groups. */
function tastes(): InteractionLog {
  const random = createRandom(9);
  const users: number[] = [];
  const items: number[] = [];
  const kinds: number[] = [];
  for (let user = 0; user < 60; user++) {
    const group = user % 3;
    for (let item = 0; item < 45; item++) {
      const own = Math.floor(item / 15) === group;
      if (random.next() < (own ? 0.45 : 0.02)) {
        users.push(user);
        items.push(item);
        kinds.push(own ? CLICK : DISLIKE);
      }
    }
  }
  const n = users.length;
  return {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    types: Uint8Array.from(kinds),
    values: new Float64Array(n).fill(Number.NaN),
    times: Float64Array.from({ length: n }, () => random.nextInt(1_000_000)),
  };
}

test('the search stays within its budget, records its trials and beats popularity', async () => {
  const log = tastes();
  const rows = Int32Array.from({ length: log.users.length }, (_, i) => i);
  let now = 0;
  const result = await searchPipeline(
    log,
    types,
    { users: 60, items: 45 },
    rows,
    { kind: 'random', ratio: 0.75, seed: 1 },
    // A clock that advances 1 s per reading: the budget is spent in a known number of steps.
    { budgetSeconds: 60, threads: ON_CALLING_THREAD, clock: () => (now += 1000) },
  );
  assert.ok(result.seconds <= 60 + 30, `took ${result.seconds} virtual seconds`);
  assert.ok(result.trials.length >= 4);
  assert.ok(result.trials.some((t) => t.stage === 'blend'));
  for (const trial of result.trials) assert.ok(trial.ndcg >= 0 && trial.ndcg <= 1);
  assert.ok(result.config.components.length >= 1);
  assert.notEqual(result.config.components[0]!.kind, 'popularity');
  assert.ok(result.validationNdcg > 0.3, `validation nDCG ${result.validationNdcg}`);
  assert.equal(result.validation.users, 60);
});

test('offline helpers: newest-first histories, per-user temporal splits, relevance without seen items', () => {
  const log: InteractionLog = {
    users: Int32Array.from([0, 0, 0, 1, 0, 1, -1]),
    items: Int32Array.from([1, 2, 3, 1, 2, 4, 9]),
    types: Uint8Array.from([CLICK, CLICK, CLICK, CLICK, CLICK, DISLIKE, CLICK]),
    values: new Float64Array(7).fill(Number.NaN),
    times: Float64Array.from([10, 30, 20, 5, 40, 50, 60]),
  };
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6]);
  const histories = new LogHistories(log, rows, 2);
  const items = new Int32Array(10);
  const kinds = new Uint8Array(10);
  const values = new Float64Array(10);
  assert.equal(histories.readRecent(0, items, kinds, values), 4);
  assert.deepEqual(Array.from(items.subarray(0, 4)), [2, 3, 2, 1], 'newest (last logged) first');
  const split = splitRows(log, rows, { kind: 'user-temporal', ratio: 0.5, minimum: 3 });
  assert.deepEqual(
    Array.from(split.test),
    [1, 4],
    "user 0's latest two by time; user 1 has too few",
  );
  assert.ok(!Array.from(split.train).includes(6), 'erased rows are dropped');
  const training = new LogHistories(log, split.train, 2);
  const relevant = relevantFromRows(log, types, split.test, training);
  assert.deepEqual([...relevant.get(0)!], [2], 'item 2 of the held-out rows, not seen in training');
});
