import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexSet, Ranked } from '../models/top-k.js';
import type { HistoryReader } from '../recommend/recommender.js';
import { MaterializedLists } from './materialized-lists.js';
import type { CollaborativeModel } from './serving-pipeline.js';

interface Call {
  readonly user: number;
  readonly k: number;
  readonly blocked: IndexSet | undefined;
  readonly cacheKey: number | null | undefined;
  readonly exact: boolean | undefined;
  readonly within: readonly string[] | undefined;
}

/**
 * User u's ranking is items u, u+1, ... (mod `items`), scores descending from 1000;
 * blocked items are left out and at most k come back. Users in `unknown` have no list.
 */
class FakeModel implements CollaborativeModel {
  readonly calls: Call[] = [];
  similarCalls = 0;
  constructor(
    private readonly items = 100,
    private readonly unknown: ReadonlySet<number> = new Set(),
    private readonly offset = 0,
  ) {}
  recommend(
    _reader: HistoryReader,
    user: number,
    k: number,
    blocked?: IndexSet,
    cacheKey?: number | null,
    exact?: boolean,
    within?: readonly string[],
  ): Ranked | undefined {
    this.calls.push({ user, k, blocked, cacheKey, exact, within });
    if (this.unknown.has(user)) return undefined;
    const indices: number[] = [];
    const scores: number[] = [];
    for (let rank = 0; rank < this.items && indices.length < k; rank++) {
      const item = (user + this.offset + rank) % this.items;
      if (blocked?.has(item) === true) continue;
      indices.push(item);
      scores.push(1000 - rank);
    }
    return { indices: Int32Array.from(indices), scores: Float32Array.from(scores) };
  }
  similar(item: number, k: number): Ranked | undefined {
    this.similarCalls++;
    return { indices: Int32Array.of(item + 1).subarray(0, k), scores: Float32Array.of(1) };
  }
}

const reader: HistoryReader = { readRecent: () => 0 };
/** The stats of lists kept without a category (none narrowed to one). */
const unnarrowed = (users: number, hits: number, misses: number, deeper: number) => ({
  users,
  hits,
  misses,
  deeper,
  categoryLists: 0,
  categoryHits: 0,
  categoryMisses: 0,
});
const set = (...items: number[]): IndexSet => {
  const members = new Set(items);
  return { has: (item) => members.has(item) };
};
const list = (ranked: Ranked | undefined): number[] => [...(ranked?.indices ?? [])];

test('the first request ranks depth deep (a miss), the next ones read the kept list', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({ depth: 20, capacity: 10 }).use(model);
  const first = lists.recommend(reader, 3, 5, undefined, 3, false);
  assert.deepEqual(list(first), [3, 4, 5, 6, 7]);
  assert.deepEqual([...first!.scores], [1000, 999, 998, 997, 996]);
  assert.equal(model.calls.length, 1);
  // Ranked depth deep, without the request's blocked items, under the user's own key.
  assert.deepEqual(model.calls[0], {
    user: 3,
    k: 20,
    blocked: undefined,
    cacheKey: 3,
    exact: false,
    within: undefined,
  });
  assert.deepEqual(lists.stats(), unnarrowed(1, 0, 1, 0));

  const second = lists.recommend(reader, 3, 8, undefined, 3, false);
  assert.deepEqual(list(second), [3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(model.calls.length, 1, 'the second request does not call the model');
  const third = lists.recommend(reader, 3, 20, undefined, 3);
  assert.equal(third!.indices.length, 20);
  assert.equal(model.calls.length, 1);
  assert.deepEqual(lists.stats(), unnarrowed(1, 2, 1, 0));

  // Another user has a list of their own.
  assert.deepEqual(list(lists.recommend(reader, 7, 3, undefined, 7)), [7, 8, 9]);
  assert.equal(model.calls.length, 2);
  assert.deepEqual(lists.stats(), unnarrowed(2, 2, 2, 0));
});

test('a prefix holding k unblocked items is served, blocked ones included', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({ depth: 20, capacity: 10 }).use(model);
  const blocked = set(0, 2, 4, 50);
  const ranked = lists.recommend(reader, 0, 5, blocked, 0)!;
  // 0 1 2 3 4 5 6 7: five unblocked (1 3 5 6 7), the three blocked ones kept in place.
  assert.deepEqual(list(ranked), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual([...ranked.scores], [1000, 999, 998, 997, 996, 995, 994, 993]);
  const unblocked = list(ranked).filter((item) => !blocked.has(item));
  assert.equal(unblocked.length, 5);
  // The prefix ends on an unblocked item: nothing beyond what the page needs.
  assert.ok(!blocked.has(ranked.indices[ranked.indices.length - 1]!));
  // The same list answers other blocked sets too.
  const other = lists.recommend(reader, 0, 2, set(1, 3), 0)!;
  assert.deepEqual(list(other), [0, 1, 2]);
  // Blocking the head: the prefix reaches past it.
  const head = lists.recommend(reader, 0, 1, set(0, 1, 2, 3, 4, 5), 0)!;
  assert.deepEqual(list(head), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(model.calls.length, 1);
  assert.deepEqual(lists.stats(), unnarrowed(1, 2, 1, 0));
});

test('invalidate drops one user’s list; the others stay', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({ depth: 10, capacity: 10 }).use(model);
  lists.recommend(reader, 1, 3, undefined, 1);
  lists.recommend(reader, 2, 3, undefined, 2);
  assert.equal(model.calls.length, 2);
  lists.invalidate(1);
  assert.equal(lists.stats().users, 1);
  lists.recommend(reader, 1, 3, undefined, 1);
  assert.equal(model.calls.length, 3, 'user 1 is ranked afresh');
  lists.recommend(reader, 2, 3, undefined, 2);
  assert.equal(model.calls.length, 3, 'user 2 still reads their list');
  // Invalidating a user with no list is harmless.
  lists.invalidate(99);
  assert.deepEqual(lists.stats(), unnarrowed(2, 1, 3, 0));
  lists.clear();
  assert.equal(lists.stats().users, 0);
  lists.recommend(reader, 2, 3, undefined, 2);
  assert.equal(model.calls.length, 4);
});

test('use(newModel) drops every list and ranks with the new model; use(sameModel) keeps them', () => {
  const old = new FakeModel();
  const lists = new MaterializedLists({ depth: 10, capacity: 10 }).use(old);
  assert.deepEqual(list(lists.recommend(reader, 1, 3, undefined, 1)), [1, 2, 3]);
  lists.use(old);
  assert.deepEqual(list(lists.recommend(reader, 1, 3, undefined, 1)), [1, 2, 3]);
  assert.equal(old.calls.length, 1, 'swapping in the same model keeps the lists');

  const fresh = new FakeModel(100, new Set(), 50);
  lists.use(fresh);
  assert.equal(lists.stats().users, 0);
  assert.deepEqual(list(lists.recommend(reader, 1, 3, undefined, 1)), [51, 52, 53]);
  assert.equal(fresh.calls.length, 1);
  assert.equal(old.calls.length, 1);

  // No model: nothing to serve.
  lists.use(undefined);
  assert.equal(lists.recommend(reader, 1, 3, undefined, 1), undefined);
  assert.equal(lists.similar(4, 1), undefined);
  lists.use(fresh);
  assert.deepEqual(list(lists.similar(4, 1)), [5]);
  assert.equal(fresh.similarCalls, 1);
});

test('exact, sessions, pages deeper than the lists and category searches pass through', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({ depth: 10, capacity: 10 }).use(model);
  const blocked = set(5);
  const cases: [string, () => Ranked | undefined, Partial<Call>][] = [
    [
      'exact',
      () => lists.recommend(reader, 1, 4, blocked, 1, true),
      { user: 1, k: 4, blocked, cacheKey: 1, exact: true },
    ],
    [
      'a session (no cache key)',
      () => lists.recommend(reader, 0, 4, blocked, null, false),
      { user: 0, k: 4, blocked, cacheKey: null, exact: false },
    ],
    [
      'a cache key other than the user',
      () => lists.recommend(reader, 1, 4, blocked, 2, false),
      { user: 1, k: 4, blocked, cacheKey: 2 },
    ],
    [
      'k deeper than the lists',
      () => lists.recommend(reader, 1, 11, blocked, 1, false),
      { user: 1, k: 11, blocked, cacheKey: 1 },
    ],
    [
      'within categories',
      () => lists.recommend(reader, 1, 4, blocked, 1, false, ['Drama']),
      { user: 1, k: 4, blocked, cacheKey: 1, within: ['Drama'] },
    ],
  ];
  for (const [name, run, expected] of cases) {
    const before = model.calls.length;
    const ranked = run();
    assert.equal(model.calls.length, before + 1, `${name}: the model is asked`);
    const call = model.calls[model.calls.length - 1]!;
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(call[key as keyof Call], value, `${name}: ${key}`);
    // The model's own answer: blocked items left out, exactly k (or what there is).
    assert.ok(!list(ranked).includes(5), `${name}: the model's answer`);
    // Asked again: still not kept.
    run();
    assert.equal(model.calls.length, before + 2, `${name}: not materialized`);
  }
  assert.deepEqual(lists.stats(), unnarrowed(0, 0, 0, 0));

  // An empty `within` is no narrowing: the list is materialized.
  lists.recommend(reader, 1, 4, blocked, 1, false, []);
  lists.recommend(reader, 1, 4, blocked, 1, false, []);
  assert.deepEqual(lists.stats(), unnarrowed(1, 1, 1, 0));
  // k = depth is still served from the list.
  lists.recommend(reader, 1, 10, undefined, 1, false);
  assert.deepEqual(lists.stats(), unnarrowed(1, 2, 1, 0));
});

test('a list that runs out of unblocked items is ranked afresh (deeper)', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({ depth: 10, capacity: 10 }).use(model);
  lists.recommend(reader, 0, 3, undefined, 0);
  assert.equal(model.calls.length, 1);
  // The list holds 0..9; blocking seven of them leaves 3 unblocked, and 5 are wanted.
  const blocked = set(0, 1, 2, 3, 4, 5, 6);
  const ranked = lists.recommend(reader, 0, 5, blocked, 0, false)!;
  assert.equal(model.calls.length, 2);
  const call = model.calls[1]!;
  assert.equal(call.k, 5);
  assert.equal(call.blocked, blocked, 'the request’s blocked items go to the model');
  assert.equal(call.cacheKey, 0);
  assert.deepEqual(list(ranked), [7, 8, 9, 10, 11]);
  assert.deepEqual(lists.stats(), unnarrowed(1, 1, 1, 1));
  // The kept list is not replaced by the deeper answer.
  assert.deepEqual(list(lists.recommend(reader, 0, 2, undefined, 0)), [0, 1]);
  assert.equal(model.calls.length, 2);

  // Exactly k unblocked at the end of the list is still a hit.
  const justEnough = lists.recommend(reader, 0, 3, blocked, 0)!;
  assert.deepEqual(list(justEnough), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(model.calls.length, 2);
});

test('a list shorter than the depth is everything the model has: no deeper ranking', () => {
  // Six items in all: the list (depth 10) holds six.
  const model = new FakeModel(6);
  const lists = new MaterializedLists({ depth: 10, capacity: 10 }).use(model);
  const ranked = lists.recommend(reader, 0, 5, set(0, 1, 2), 0)!;
  assert.deepEqual(list(ranked), [0, 1, 2, 3, 4, 5]);
  assert.equal(model.calls.length, 1);
  assert.equal(lists.stats().deeper, 0);
});

test('past capacity the least recently ranked list goes first', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({ depth: 10, capacity: 2 }).use(model);
  const ask = (user: number) => lists.recommend(reader, user, 2, undefined, user);
  ask(1);
  ask(2);
  ask(1); // a hit: reading a list does not make it younger
  assert.equal(model.calls.length, 2);
  ask(3); // evicts user 1, ranked first
  assert.equal(lists.stats().users, 2);
  assert.equal(model.calls.length, 3);
  ask(2);
  ask(3);
  assert.equal(model.calls.length, 3, 'users 2 and 3 are kept');
  ask(1);
  assert.equal(model.calls.length, 4, 'user 1 was evicted');
  ask(3);
  assert.equal(model.calls.length, 4, 'user 3 is kept');
  ask(2);
  assert.equal(model.calls.length, 5, 'user 2 went when user 1 came back');
  assert.equal(lists.stats().users, 2);
});

test('a user the model cannot rank is remembered and answers undefined without a model call', () => {
  const model = new FakeModel(100, new Set([9]));
  const lists = new MaterializedLists({ depth: 10, capacity: 10 }).use(model);
  assert.equal(lists.recommend(reader, 9, 5, undefined, 9), undefined);
  assert.equal(model.calls.length, 1);
  assert.equal(lists.recommend(reader, 9, 5, set(1, 2), 9), undefined);
  assert.equal(lists.recommend(reader, 9, 3, undefined, 9), undefined);
  assert.equal(model.calls.length, 1, 'the empty answer is kept');
  assert.deepEqual(lists.stats(), unnarrowed(1, 2, 1, 0));
  // Their history changes: asked again.
  lists.invalidate(9);
  assert.equal(lists.recommend(reader, 9, 5, undefined, 9), undefined);
  assert.equal(model.calls.length, 2);
});

test('a request narrowed to one category reads that user’s list within it', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({
    depth: 10,
    capacity: 10,
    categories: { depth: 6, capacity: 100 },
  }).use(model);
  const first = lists.recommend(reader, 1, 3, set(2), 1, false, ['Drama']);
  // Ranked once, as deep as a kept list, without the request's blocked items.
  assert.equal(model.calls.length, 1);
  assert.deepEqual(model.calls[0], {
    user: 1,
    k: 6,
    blocked: undefined,
    cacheKey: 1,
    exact: false,
    within: ['Drama'],
  });
  // The prefix holding 3 unblocked items (2 is blocked: the filter stage removes it).
  assert.deepEqual(list(first), [1, 2, 3, 4]);
  assert.deepEqual(list(lists.recommend(reader, 1, 3, undefined, 1, false, ['Drama'])), [1, 2, 3]);
  assert.equal(model.calls.length, 1, 'the second request reads the kept list');
  // Another category, another user: lists of their own.
  lists.recommend(reader, 1, 3, undefined, 1, false, ['Comedy']);
  lists.recommend(reader, 2, 3, undefined, 2, false, ['Drama']);
  assert.equal(model.calls.length, 3);
  const stats = lists.stats();
  assert.equal(stats.categoryLists, 3);
  assert.equal(stats.categoryHits, 1);
  assert.equal(stats.categoryMisses, 3);
  // The unnarrowed list is a separate one.
  assert.equal(stats.users, 0);

  // The user's history changed: all their category lists go, others stay.
  lists.invalidate(1);
  lists.recommend(reader, 2, 3, undefined, 2, false, ['Drama']);
  assert.equal(model.calls.length, 3);
  lists.recommend(reader, 1, 3, undefined, 1, false, ['Comedy']);
  assert.equal(model.calls.length, 4);
  // A new model: every list goes.
  const next = new FakeModel(100, new Set(), 50);
  lists.use(next);
  assert.deepEqual(list(lists.recommend(reader, 2, 2, undefined, 2, false, ['Drama'])), [52, 53]);
  assert.equal(next.calls.length, 1);
});

test('narrowed requests the kept lists cannot answer go to the model', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({
    depth: 10,
    capacity: 10,
    categories: { depth: 4, capacity: 100 },
  }).use(model);
  lists.recommend(reader, 1, 2, undefined, 1, false, ['Drama']);
  assert.equal(model.calls.length, 1);
  // Two categories, more than a list holds, exact, a session: passed through as asked.
  lists.recommend(reader, 1, 2, undefined, 1, false, ['Drama', 'Comedy']);
  lists.recommend(reader, 1, 5, undefined, 1, false, ['Drama']);
  lists.recommend(reader, 1, 2, undefined, 1, true, ['Drama']);
  lists.recommend(reader, 1, 2, undefined, null, false, ['Drama']);
  assert.deepEqual(
    model.calls.slice(1).map((call) => [call.k, call.exact, call.cacheKey, call.within]),
    [
      [2, false, 1, ['Drama', 'Comedy']],
      [5, false, 1, ['Drama']],
      [2, true, 1, ['Drama']],
      [2, false, null, ['Drama']],
    ],
  );
  // Blocked items leave fewer than k in the list: the model ranks past them.
  const blocked = set(1, 2, 3);
  assert.deepEqual(list(lists.recommend(reader, 1, 2, blocked, 1, false, ['Drama'])), [4, 5]);
  const last = model.calls[model.calls.length - 1]!;
  assert.deepEqual([last.k, last.blocked, last.within], [2, blocked, ['Drama']]);
  assert.equal(lists.stats().deeper, 1);
});

test('warm ranks each user’s lists in every category ahead, within capacity', () => {
  const model = new FakeModel(100, new Set([3]));
  const lists = new MaterializedLists({
    depth: 10,
    capacity: 10,
    categories: { depth: 4, capacity: 8 },
  }).use(model);
  lists.recommend(reader, 0, 2, undefined, 0, false, ['A']);
  const steps = lists.warm(reader, 10, ['A', 'B']);
  let yields = 0;
  let step = steps.next();
  while (step.done !== true) {
    yields++;
    step = steps.next();
  }
  // 8 lists fit: users 0 .. 3 in both categories; user 0's list in A was kept already.
  assert.equal(step.value, 7);
  assert.equal(yields, 4);
  assert.equal(lists.stats().categoryLists, 8);
  const calls = model.calls.length;
  for (const user of [0, 1, 2]) {
    assert.deepEqual(list(lists.recommend(reader, user, 2, undefined, user, false, ['B'])), [
      user,
      user + 1,
    ]);
  }
  // User 3 has no list at all, and that is kept too.
  assert.equal(lists.recommend(reader, 3, 2, undefined, 3, false, ['A']), undefined);
  assert.equal(model.calls.length, calls);
  // Without a model nothing is ranked.
  const empty = new MaterializedLists({
    depth: 10,
    capacity: 10,
    categories: { depth: 4, capacity: 8 },
  });
  assert.equal(empty.warm(reader, 10, ['A']).next().value, 0);
});

test('counters hear of every lookup of a kept list', () => {
  const counted = { users: [0, 0], categories: [0, 0] };
  const counter = (into: number[]) => ({
    hit: () => void into[0]!++,
    miss: () => void into[1]!++,
  });
  const lists = new MaterializedLists({
    depth: 10,
    capacity: 10,
    categories: { depth: 4, capacity: 10 },
    counters: { users: counter(counted.users), categories: counter(counted.categories) },
  }).use(new FakeModel());
  lists.recommend(reader, 1, 2, undefined, 1);
  lists.recommend(reader, 1, 2, undefined, 1);
  lists.recommend(reader, 1, 2, undefined, 1, false, ['A']);
  lists.recommend(reader, 1, 2, undefined, 1, false, ['A']);
  lists.recommend(reader, 1, 2, undefined, 1, false, ['A']);
  // Passed through: not a lookup.
  lists.recommend(reader, 1, 2, undefined, 1, true, ['A']);
  assert.deepEqual(counted, { users: [1, 1], categories: [2, 1] });
});

test('category lists work without unfiltered ones (depth 0)', () => {
  const model = new FakeModel();
  const lists = new MaterializedLists({
    depth: 0,
    capacity: 0,
    categories: { depth: 4, capacity: 10 },
  }).use(model);
  lists.recommend(reader, 1, 2, undefined, 1);
  lists.recommend(reader, 1, 2, undefined, 1);
  assert.equal(model.calls.length, 2, 'unfiltered requests go to the model');
  lists.recommend(reader, 1, 2, undefined, 1, false, ['A']);
  lists.recommend(reader, 1, 2, undefined, 1, false, ['A']);
  assert.equal(model.calls.length, 3, 'the narrowed list is kept');
  assert.equal(lists.stats().users, 0);
});
