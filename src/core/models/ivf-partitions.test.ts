import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CategoryMembers, buildPartitionsInSlices } from './ivf-partitions.js';
import { type IvfIndex, IvfSearcher } from './ivf.js';
import { createRandom } from './random.js';
import type { IndexSet, Ranked } from './top-k.js';

const FACTORS = 8;
/** Items the factors cover; the catalog (and the category lists) run past them. */
const ITEMS = 3000;
const CATALOG = 3200;

/** Item i: "big" when i % 10 < 8, "small" when 8, "tiny" when 9 or a multiple of 50. */
function categoryMembers(): CategoryMembers {
  const names = ['big', 'small', 'tiny'];
  const lists: number[][] = [[], [], []];
  for (let item = 0; item < CATALOG; item++) {
    const digit = item % 10;
    if (digit < 8) lists[0]!.push(item);
    if (digit === 8) lists[1]!.push(item);
    // Overlaps "big" for multiples of 50: an item may carry several categories.
    if (digit === 9 || item % 50 === 0) lists[2]!.push(item);
  }
  const offsets = new Int32Array(names.length + 1);
  lists.forEach((list, c) => (offsets[c + 1] = offsets[c]! + list.length));
  return { names, offsets, items: Int32Array.from(lists.flat()) };
}

function randomFactors(seed: number): Float32Array {
  const random = createRandom(seed);
  const itemFactors = new Float32Array(ITEMS * FACTORS);
  for (let item = 0; item < ITEMS; item++) {
    const length = 0.2 + Math.exp(0.5 * random.nextGaussian());
    for (let f = 0; f < FACTORS; f++)
      itemFactors[item * FACTORS + f] = length * random.nextGaussian();
  }
  // Duplicate rows within a category tie on every query: ties go to the smaller index.
  // One pair is long, so a query along it ranks both first.
  itemFactors.fill(4, 2001 * FACTORS, 2002 * FACTORS);
  itemFactors.copyWithin(101 * FACTORS, 2001 * FACTORS, 2002 * FACTORS);
  itemFactors.copyWithin(18 * FACTORS, 2998 * FACTORS, 2999 * FACTORS);
  return itemFactors;
}

function drain(
  itemFactors: Float32Array,
  categories: CategoryMembers,
): { partitions: Map<string, IvfIndex>; yields: number } {
  const steps = buildPartitionsInSlices(itemFactors, ITEMS, FACTORS, categories, { seed: 3 });
  let yields = 0;
  for (;;) {
    const step = steps.next();
    if (step.done === true) return { partitions: step.value, yields };
    yields++;
  }
}

/** Brute force: every member's inner product (stored as float32, as topK sees it). */
function bruteForce(
  itemFactors: Float32Array,
  members: readonly number[],
  query: Float32Array,
  k: number,
  blocked?: IndexSet,
): Ranked {
  const scored = members
    .filter((item) => blocked?.has(item) !== true)
    .map((item) => {
      let score = 0;
      for (let f = 0; f < FACTORS; f++) score += itemFactors[item * FACTORS + f]! * query[f]!;
      return { item, score: Math.fround(score) };
    })
    .sort((a, b) => b.score - a.score || a.item - b.item)
    .slice(0, k);
  return {
    indices: Int32Array.from(scored, (s) => s.item),
    scores: Float32Array.from(scored, (s) => s.score),
  };
}

const expectedMembers = (categories: CategoryMembers, c: number): number[] =>
  [...categories.items.subarray(categories.offsets[c]!, categories.offsets[c + 1]!)].filter(
    (item) => item < ITEMS,
  );

test('each partition holds exactly its category’s items the factors cover', () => {
  const categories = categoryMembers();
  const itemFactors = randomFactors(5);
  const { partitions, yields } = drain(itemFactors, categories);
  assert.ok(yields > 0, 'the build yields');
  assert.deepEqual([...partitions.keys()].sort(), ['big', 'small', 'tiny']);
  categories.names.forEach((name, c) => {
    const index = partitions.get(name)!;
    const expected = expectedMembers(categories, c);
    assert.equal(index.items, expected.length, name);
    assert.equal(index.factors, FACTORS);
    assert.deepEqual(
      [...index.members].sort((a, b) => a - b),
      expected,
      `${name}: members are catalog indexes of the category, below ${ITEMS}`,
    );
    assert.ok(index.members.every((item) => item < ITEMS));
    assert.equal(index.offsets[index.clusters], expected.length);
    // Rows are the members' own factor rows, and members ascend within a cluster.
    for (let c2 = 0; c2 < index.clusters; c2++)
      for (let at = index.offsets[c2]!; at < index.offsets[c2 + 1]!; at++) {
        const item = index.members[at]!;
        if (at > index.offsets[c2]!) assert.ok(item > index.members[at - 1]!);
        assert.deepEqual(
          [...index.rows.subarray(at * FACTORS, (at + 1) * FACTORS)],
          [...itemFactors.subarray(item * FACTORS, (item + 1) * FACTORS)],
        );
      }
  });
  // Over 2,000 items: several clusters; the small ones are one exact cluster.
  assert.ok(partitions.get('big')!.items > 2000);
  assert.ok(partitions.get('big')!.clusters > 1, `${partitions.get('big')!.clusters} clusters`);
  assert.equal(partitions.get('small')!.clusters, 1);
  assert.equal(partitions.get('tiny')!.clusters, 1);
});

test('a category with no item the factors cover gets no partition', () => {
  const categories: CategoryMembers = {
    names: ['early', 'late', 'empty'],
    offsets: Int32Array.of(0, 3, 5, 5),
    items: Int32Array.of(1, 2, 3, ITEMS, ITEMS + 7),
  };
  const { partitions } = drain(randomFactors(6), categories);
  assert.deepEqual([...partitions.keys()], ['early']);
  assert.deepEqual([...partitions.get('early')!.members].sort(), [1, 2, 3]);
});

test('probing every cluster of a partition ranks as brute force over the category', () => {
  const categories = categoryMembers();
  const itemFactors = randomFactors(7);
  const { partitions } = drain(itemFactors, categories);
  const random = createRandom(11);
  categories.names.forEach((name, c) => {
    const index = partitions.get(name)!;
    const searcher = new IvfSearcher(index);
    const members = expectedMembers(categories, c);
    const inCategory = new Set(members);
    const queries = Array.from({ length: 20 }, () =>
      Float32Array.from({ length: FACTORS }, () => random.nextGaussian()),
    );
    // Queries along the duplicated rows: the tied pair ranks smaller index first.
    queries.push(Float32Array.from(itemFactors.subarray(2001 * FACTORS, 2002 * FACTORS)));
    queries.push(Float32Array.from(itemFactors.subarray(2998 * FACTORS, 2999 * FACTORS)));
    for (const [q, query] of queries.entries()) {
      const expected = bruteForce(itemFactors, members, query, 10);
      const found = searcher.search(query, 10, undefined, index.clusters);
      assert.deepEqual([...found.indices], [...expected.indices], `${name}, query ${q}`);
      assert.deepEqual([...found.scores], [...expected.scores], `${name}, query ${q}`);
      for (const item of found.indices) assert.ok(inCategory.has(item));

      // Blocked items never come back; the rest rank as brute force without them.
      const blockedItems = new Set([...expected.indices.subarray(0, 3)]);
      const blocked: IndexSet = { has: (item) => blockedItems.has(item) || item % 3 === 0 };
      const expectedUnblocked = bruteForce(itemFactors, members, query, 10, blocked);
      const foundUnblocked = searcher.search(query, 10, blocked, index.clusters);
      assert.equal(foundUnblocked.indices.length, 10);
      for (const item of foundUnblocked.indices)
        assert.ok(!blocked.has(item), `${name}: blocked item ${item}`);
      assert.deepEqual(
        [...foundUnblocked.indices],
        [...expectedUnblocked.indices],
        `${name}, query ${q}, blocked`,
      );
    }
  });
  // The duplicated rows are in "big" (101 and 2001) and "small" (18 and 2998).
  const big = partitions.get('big')!;
  const tie = new IvfSearcher(big).search(
    Float32Array.from(itemFactors.subarray(2001 * FACTORS, 2002 * FACTORS)),
    10,
    undefined,
    big.clusters,
  );
  const at101 = [...tie.indices].indexOf(101);
  const at2001 = [...tie.indices].indexOf(2001);
  assert.deepEqual([at101, at2001], [0, 1], `tie order: ${[...tie.indices].join(',')}`);
});
