import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedLists } from './packed-lists.js';

function listsOf(lists: PackedLists, keys: number): number[][] {
  return Array.from({ length: keys }, (_, key) =>
    Array.from(lists.data.subarray(lists.offset(key), lists.offset(key) + lists.length(key))),
  );
}

test('an export round-trips, compacted only when lists were replaced, and later writes do not reach it', () => {
  const lists = new PackedLists();
  // Written out of key order: without garbage the export keeps this layout.
  for (const key of [3, 0, 2, 1]) lists.set(key, [key, key + 10, key + 20], 3);
  const fresh = lists.export('l');
  assert.equal((fresh['l.data'] as Int32Array).length, 12);
  assert.deepEqual(listsOf(PackedLists.import(fresh, 'l'), 4), listsOf(lists, 4));

  lists.set(2, [7], 1);
  lists.clear(0);
  const expected = listsOf(lists, 4);
  const compacted = lists.export('l');
  assert.equal((compacted['l.data'] as Int32Array).length, 7, 'no garbage carried');
  lists.set(1, [9, 9], 2);
  assert.deepEqual(listsOf(PackedLists.import(compacted, 'l'), 4), expected);
  assert.deepEqual(listsOf(lists, 4), [[], [9, 9], [7], [3, 13, 23]]);
});
