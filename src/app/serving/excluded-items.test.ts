import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdMap } from '../../core/projections/id-map.js';
import { excludedItems } from './excluded-items.js';

const ids = new IdMap();
for (let i = 0; i < 100; i++) ids.intern(`i${i}`);

const members = (set: ReturnType<typeof excludedItems>): number[] =>
  Array.from({ length: 100 }, (_, index) => index).filter((index) => set.has(index));

test('excluded ids and served items are left out, unknown ids ignored', () => {
  assert.deepEqual(members(excludedItems(ids, ['i3', 'i70', 'nope'], [5, 3])), [3, 5, 70]);
  assert.deepEqual(members(excludedItems(ids, [], [9])), [9]);
  assert.deepEqual(members(excludedItems(ids, ['i1'], [])), [1]);
  assert.deepEqual(members(excludedItems(ids, [], [])), []);
});

test('a long exclude list (looked up once) excludes the same items', () => {
  const long = Array.from({ length: 40 }, (_, i) => `i${i * 2}`).concat(['missing']);
  assert.deepEqual(
    members(excludedItems(ids, long, [1])),
    [1, ...Array.from({ length: 40 }, (_, i) => i * 2)].sort((a, b) => a - b),
  );
});

test('a forgotten item is no longer matched by its old id', () => {
  const local = new IdMap();
  local.intern('a');
  local.intern('b');
  local.forget('a');
  const set = excludedItems(local, ['a', 'b'], []);
  assert.equal(set.has(0), false);
  assert.equal(set.has(1), true);
});
