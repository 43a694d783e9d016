import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ranked } from '../models/top-k.js';
import { CategoryLists, NO_LIST } from './category-lists.js';

const ranked = (...items: number[]): Ranked => ({
  indices: Int32Array.from(items),
  scores: Float32Array.from(items, (_, rank) => 10 - rank),
});
const items = (list: Ranked | undefined): number[] | undefined =>
  list === undefined ? undefined : [...list.indices];

test('a kept list comes back per user and category, cut to the depth', () => {
  const lists = new CategoryLists({ depth: 3, capacity: 10 });
  assert.equal(lists.get(1, 'Books'), undefined);
  lists.put(1, 'Books', ranked(7, 8, 9, 10));
  lists.put(1, 'Music', ranked(4));
  lists.put(2, 'Books', ranked(5, 6));
  assert.deepEqual(items(lists.get(1, 'Books')), [7, 8, 9]);
  assert.deepEqual([...lists.get(1, 'Books')!.scores], [10, 9, 8]);
  assert.deepEqual(items(lists.get(1, 'Music')), [4]);
  assert.deepEqual(items(lists.get(2, 'Books')), [5, 6]);
  assert.equal(lists.get(2, 'Music'), undefined);
  assert.equal(lists.get(3, 'Books'), undefined);
  assert.equal(lists.size, 3);
  // Put again: the same slot, the new list.
  lists.put(2, 'Books', ranked(11));
  assert.deepEqual(items(lists.get(2, 'Books')), [11]);
  assert.equal(lists.size, 3);
});

test('"the model has nothing" is kept too', () => {
  const lists = new CategoryLists({ depth: 3, capacity: 10 });
  lists.put(4, 'Books', undefined);
  assert.equal(lists.get(4, 'Books'), NO_LIST);
  assert.ok(lists.has(4, 'Books'));
});

test('invalidate drops all of one user’s lists and none of the others', () => {
  const lists = new CategoryLists({ depth: 3, capacity: 10 });
  lists.put(1, 'Books', ranked(1));
  lists.put(1, 'Music', ranked(2));
  lists.put(2, 'Books', ranked(3));
  lists.invalidate(1);
  assert.equal(lists.get(1, 'Books'), undefined);
  assert.equal(lists.get(1, 'Music'), undefined);
  assert.deepEqual(items(lists.get(2, 'Books')), [3]);
  // Ranked again after the change: served again.
  lists.put(1, 'Books', ranked(9));
  assert.deepEqual(items(lists.get(1, 'Books')), [9]);
  // A user never seen before can be invalidated (their first event).
  lists.invalidate(1_000);
  lists.put(1_000, 'Books', ranked(5));
  assert.deepEqual(items(lists.get(1_000, 'Books')), [5]);
});

test('past capacity the oldest list is dropped first', () => {
  const lists = new CategoryLists({ depth: 2, capacity: 3 });
  lists.put(1, 'A', ranked(1));
  lists.put(2, 'A', ranked(2));
  lists.put(3, 'A', ranked(3));
  lists.put(4, 'A', ranked(4));
  assert.equal(lists.size, 3);
  assert.equal(lists.get(1, 'A'), undefined);
  assert.deepEqual(items(lists.get(2, 'A')), [2]);
  assert.deepEqual(items(lists.get(4, 'A')), [4]);
  lists.put(5, 'B', ranked(5, 6));
  assert.equal(lists.get(2, 'A'), undefined);
  assert.deepEqual(items(lists.get(3, 'A')), [3]);
  assert.deepEqual(items(lists.get(5, 'B')), [5, 6]);
});

test('clear forgets every list', () => {
  const lists = new CategoryLists({ depth: 2, capacity: 3 });
  lists.put(1, 'A', ranked(1));
  lists.put(2, 'B', ranked(2));
  lists.clear();
  assert.equal(lists.size, 0);
  assert.equal(lists.get(1, 'A'), undefined);
  assert.equal(lists.get(2, 'B'), undefined);
  lists.put(2, 'B', ranked(7));
  assert.deepEqual(items(lists.get(2, 'B')), [7]);
});
