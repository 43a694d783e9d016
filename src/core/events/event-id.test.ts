import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newEventId } from './event-id.js';

test('event ids are unique and sort by creation time', () => {
  const ids: string[] = [];
  for (let i = 0; i < 10_000; i++) ids.push(newEventId(1_700_000_000_000 + Math.floor(i / 100)));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
});
