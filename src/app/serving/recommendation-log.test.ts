import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecommendationLog } from './recommendation-log.js';

test('a list is found by its id until the capacity-th list after it takes its slot', () => {
  const log = new RecommendationLog(3, 60_000, () => 0);
  const ids = ['a', 'b', 'c', 'd'].map((name) => log.idOf(log.add('home', `user:${name}`)));
  assert.equal(new Set(ids).size, 4, 'ids are unique');
  assert.equal(log.peek(ids[0]!), undefined, 'the first list gave its slot to the fourth');
  for (const [at, id] of ids.slice(1).entries()) {
    const list = log.peek(id)!;
    assert.equal(list.id, id);
    assert.equal(list.scenario, 'home');
    assert.equal(list.subject, `user:${['b', 'c', 'd'][at]}`);
  }
});

test('served items and their rows are kept in order, past the inline slots too', () => {
  const log = new RecommendationLog(4, 60_000, () => 0);
  const slot = log.add('home', 'user:u1');
  for (let item = 0; item < 40; item++) log.append(slot, 100 + item, item % 3 === 0 ? -1 : item);
  const other = log.add('cart', 'user:u2');
  log.append(other, 7, 70);
  const list = log.get(log.idOf(slot))!;
  assert.equal(list.size, 40);
  assert.deepEqual(
    list.served(),
    Array.from({ length: 40 }, (_, item) => 100 + item),
  );
  assert.equal(list.rowOf(101), 1);
  assert.equal(list.rowOf(103), -1, 'served without a row');
  assert.equal(list.rowOf(135), 35, 'an item past the inline slots');
  assert.equal(list.rowOf(7), -1, "another list's item");
  assert.deepEqual(log.peek(log.idOf(other))!.served(), [7]);
  assert.equal(log.peek(log.idOf(other))!.rowOf(7), 70);
});

test('a slot taken again starts empty and the old id no longer resolves', () => {
  const log = new RecommendationLog(1, 60_000, () => 0);
  const first = log.add('home', 'user:u1');
  for (let item = 0; item < 20; item++) log.append(first, item, item);
  const firstId = log.idOf(first);
  const second = log.add('home', 'user:u2');
  assert.equal(second, first);
  assert.equal(log.peek(firstId), undefined);
  assert.equal(log.peek(log.idOf(second))!.size, 0);
  assert.deepEqual(log.peek(log.idOf(second))!.served(), []);
});

test('a list expires after its time to live, which paging refreshes', () => {
  let now = 0;
  const log = new RecommendationLog(10, 1000, () => now);
  const a = log.idOf(log.add('home', 'user:u1'));
  const b = log.idOf(log.add('home', 'user:u1'));
  now = 900;
  assert.ok(log.get(a));
  now = 1500;
  assert.ok(log.peek(a), 'refreshed at 900: lives until 1900');
  assert.equal(log.peek(b), undefined);
  assert.equal(log.get(b), undefined);
  now = 2000;
  assert.equal(log.get(a), undefined);
});

test("another log's ids and malformed ids resolve to nothing", () => {
  const log = new RecommendationLog(10, 60_000, () => 0);
  const other = new RecommendationLog(10, 60_000, () => 0);
  log.add('home', 'user:u1');
  const foreign = other.idOf(other.add('home', 'user:u1'));
  assert.equal(log.peek(foreign), undefined);
  const id = log.idOf(0);
  for (const bad of ['', 'x', id + 'z', id.slice(0, -1), `${id.slice(0, -1)}-`, id.toUpperCase()])
    assert.equal(log.peek(bad), undefined, JSON.stringify(bad));
  assert.ok(log.peek(id));
});
