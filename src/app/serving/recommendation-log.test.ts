import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecommendationLog } from './recommendation-log.js';

test('the log keeps the most recently used lists up to its capacity', () => {
  const log = new RecommendationLog(3, 60_000, () => 0);
  log.add('a', 'home', 'user:u1');
  log.add('b', 'home', 'user:u1');
  log.add('c', 'home', 'user:u1');
  assert.ok(log.get('a'), 'paging on "a" makes it the most recent');
  log.add('d', 'home', 'user:u1');
  assert.equal(log.peek('b'), undefined, 'the least recently used list is forgotten');
  assert.ok(log.peek('a'));
  assert.ok(log.peek('c'));
  assert.ok(log.peek('d'));
  log.add('e', 'home', 'user:u1');
  assert.equal(log.peek('c'), undefined);
  assert.deepEqual(
    ['a', 'd', 'e'].map((id) => log.peek(id)?.id),
    ['a', 'd', 'e'],
  );
  assert.equal(log.size, 3);
});

test('a list paged many times stays while the others come and go', () => {
  const log = new RecommendationLog(4, 60_000, () => 0);
  log.add('kept', 'home', 'user:u1');
  for (let i = 0; i < 1000; i++) {
    log.add(`l${i}`, 'home', 'user:u1');
    assert.ok(log.get('kept'), `kept after ${i} other lists`);
  }
  assert.ok(log.size <= 4);
  assert.equal(log.peek('l997'), undefined);
  assert.ok(log.peek('l999'));
});

test('a list expires after its time to live, which paging refreshes', () => {
  let now = 0;
  const log = new RecommendationLog(10, 1000, () => now);
  log.add('a', 'home', 'user:u1');
  log.add('b', 'home', 'user:u1');
  now = 900;
  assert.ok(log.get('a'));
  now = 1500;
  assert.ok(log.peek('a'), 'refreshed at 900: lives until 1900');
  assert.equal(log.peek('b'), undefined);
  assert.equal(log.get('b'), undefined);
  now = 2000;
  assert.equal(log.get('a'), undefined);
});
