import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaveLastOut, pickRows, stratifiedSplit, temporalSplit } from './splits.js';
import { createRandom } from '../models/random.js';

function syntheticRatings(rows: number, users: number, seed = 1) {
  const random = createRandom(seed);
  return {
    users: Int32Array.from({ length: rows }, () => random.nextInt(users)),
    items: Int32Array.from({ length: rows }, () => random.nextInt(200)),
    timestamps: Float64Array.from({ length: rows }, () => random.nextInt(1_000_000)),
  };
}

function countBy(keys: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (let row = 0; row < keys.length; row++)
    counts.set(keys[row]!, (counts.get(keys[row]!) ?? 0) + 1);
  return counts;
}

test('the stratified split is deterministic for a seed and differs across seeds', () => {
  const data = syntheticRatings(2000, 50);
  assert.deepEqual(stratifiedSplit(data, { seed: 42 }), stratifiedSplit(data, { seed: 42 }));
  assert.notDeepEqual(
    stratifiedSplit(data, { seed: 42 }).train,
    stratifiedSplit(data, { seed: 43 }).train,
  );
});

test('each user keeps floor(ratio n) rows in train, the rest in test', () => {
  const data = syntheticRatings(3000, 40);
  const split = stratifiedSplit(data, { ratio: 0.75, seed: 42 });
  assert.equal(split.train.length + split.test.length, 3000);
  assert.equal(new Set([...split.train, ...split.test]).size, 3000);
  const totals = countBy(data.users);
  const trainCounts = countBy(pickRows(data.users, split.train));
  for (const [user, total] of totals) {
    assert.equal(trainCounts.get(user) ?? 0, Math.floor(0.75 * total), `user ${user} of ${total}`);
  }
  const byItem = stratifiedSplit(data, { ratio: 0.5, seed: 1, by: 'item' });
  const itemTotals = countBy(data.items);
  const itemTrain = countBy(pickRows(data.items, byItem.train));
  for (const [item, total] of itemTotals) {
    if (total >= 2) assert.equal(itemTrain.get(item) ?? 0, Math.floor(0.5 * total));
  }
});

test('users with fewer than 2 ratings stay in train', () => {
  const split = stratifiedSplit({ users: [0, 1, 1, 2], items: [0, 0, 1, 0] }, { ratio: 0.75 });
  assert.ok(split.train.includes(0) && split.train.includes(3));
  // User 1's two rows go one to each side.
  assert.equal(split.test.length, 1);
  assert.ok(split.test[0] === 1 || split.test[0] === 2);
});

test('leave-last-out holds out each user latest rows', () => {
  const data = { users: [0, 0, 0, 1, 1, 2], timestamps: [5, 9, 1, 3, 3, 7] };
  const split = leaveLastOut(data, 1);
  assert.deepEqual([...split.test], [1, 4]);
  assert.deepEqual([...leaveLastOut(data, 2).test], [0, 1]);
});

test('the global temporal split cuts by ratio or by time', () => {
  const data = { timestamps: [40, 10, 30, 20, 50] };
  assert.deepEqual([...temporalSplit(data, { ratio: 0.6 }).train], [1, 2, 3]);
  assert.deepEqual([...temporalSplit(data, { cutoff: 30 }).test], [0, 2, 4]);
});
