import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recommendFromVector } from './factor-model.js';
import { IvfSearcher, buildIvfIndex, buildIvfIndexInSlices } from './ivf.js';
import { createRandom } from './random.js';
import { IndexMask, type Ranked } from './top-k.js';

/**
 * Item rows scattered around `groups` random directions, with norms spread like a
 * factor model's (popular items long, the tail short), and queries near a group.
 */
function clusteredFactors(items: number, factors: number, groups: number, seed = 3) {
  const random = createRandom(seed);
  const centres = Float32Array.from({ length: groups * factors }, () => random.nextGaussian());
  const itemFactors = new Float32Array(items * factors);
  for (let item = 0; item < items; item++) {
    const group = random.nextInt(groups);
    const length = 0.2 + Math.exp(0.5 * random.nextGaussian());
    for (let f = 0; f < factors; f++)
      itemFactors[item * factors + f] =
        length * (centres[group * factors + f]! + 0.6 * random.nextGaussian());
  }
  const query = (): Float32Array => {
    const group = random.nextInt(groups);
    return Float32Array.from(
      { length: factors },
      (_, f) => centres[group * factors + f]! + 0.8 * random.nextGaussian(),
    );
  };
  return { itemFactors, query, random };
}

function model(itemFactors: Float32Array, items: number, factors: number) {
  return { factors, items, users: 0, userFactors: new Float32Array(0), itemFactors };
}

function recall(exact: Ranked, approximate: Ranked): number {
  const found = new Set(approximate.indices);
  let hits = 0;
  for (const item of exact.indices) if (found.has(item)) hits++;
  return hits / exact.indices.length;
}

test('recall@10 against exact search is at least 0.95 at the default probes', () => {
  const items = 20_000;
  const factors = 32;
  const data = clusteredFactors(items, factors, 40);
  const index = buildIvfIndex(data.itemFactors, items, factors);
  assert.equal(index.clusters, Math.round(Math.sqrt(items)));
  const searcher = new IvfSearcher(index);
  let total = 0;
  let scanned = 0;
  const queries = 200;
  for (let q = 0; q < queries; q++) {
    const query = data.query();
    const exact = recommendFromVector(model(data.itemFactors, items, factors), query, 10);
    total += recall(exact, searcher.search(query, 10));
    scanned += searcher.lastScanned;
  }
  assert.ok(total / queries >= 0.95, `recall@10 ${total / queries}`);
  // Sublinear: a fraction of the catalog is scored.
  assert.ok(scanned / queries < items / 4, `scanned ${scanned / queries} rows per query`);
});

test('probing every cluster is exact, scores and ties included', () => {
  const items = 3000;
  const factors = 8;
  const data = clusteredFactors(items, factors, 12, 7);
  // Duplicate rows make ties, which must go to the smaller index as in topK.
  data.itemFactors.copyWithin(100 * factors, 2000 * factors, 2001 * factors);
  const index = buildIvfIndex(data.itemFactors, items, factors, { clusters: 30 });
  const searcher = new IvfSearcher(index);
  for (let q = 0; q < 50; q++) {
    const query = data.query();
    const exact = recommendFromVector(model(data.itemFactors, items, factors), query, 100);
    const found = searcher.search(query, 100, undefined, index.clusters);
    assert.deepEqual([...found.indices], [...exact.indices]);
    assert.deepEqual([...found.scores], [...exact.scores]);
  }
  const tied = Float32Array.from(data.itemFactors.subarray(2000 * factors, 2001 * factors));
  const top = searcher.search(tied, 2, undefined, index.clusters);
  const exactTop = recommendFromVector(model(data.itemFactors, items, factors), tied, 2);
  assert.deepEqual([...top.indices], [...exactTop.indices]);
});

test('blocked items are never returned, and the page still fills', () => {
  const items = 5000;
  const factors = 16;
  const data = clusteredFactors(items, factors, 10, 11);
  const index = buildIvfIndex(data.itemFactors, items, factors);
  const searcher = new IvfSearcher(index);
  for (let q = 0; q < 20; q++) {
    const query = data.query();
    // Block the exact top 500 and every other item beyond: only odd items may come back.
    const exact = recommendFromVector(model(data.itemFactors, items, factors), query, 500);
    const blocked = new IndexMask(items, exact.indices);
    for (let item = 0; item < items; item += 2) blocked.add(item);
    const found = searcher.search(query, 50, blocked);
    assert.equal(found.indices.length, 50);
    for (const item of found.indices) assert.ok(!blocked.has(item), `blocked item ${item}`);
  }
});

test('the sliced build yields often and builds the same index', () => {
  const items = 4000;
  const factors = 16;
  const data = clusteredFactors(items, factors, 8, 13);
  const whole = buildIvfIndex(data.itemFactors, items, factors, { seed: 5 });
  const steps = buildIvfIndexInSlices(data.itemFactors, items, factors, {
    seed: 5,
    sliceRows: 100,
  });
  let yields = 0;
  let step = steps.next();
  while (step.done !== true) {
    yields++;
    step = steps.next();
  }
  assert.ok(yields >= items / 100, `${yields} yields`);
  assert.deepEqual([...step.value.members], [...whole.members]);
  assert.deepEqual([...step.value.offsets], [...whole.offsets]);
  assert.equal(step.value.rows.length, items * factors);
});

test('micro-benchmark: µs per query, exact vs IVF, 100,000 × 32', (context) => {
  const items = 100_000;
  const factors = 32;
  const data = clusteredFactors(items, factors, 200, 17);
  const started = performance.now();
  const index = buildIvfIndex(data.itemFactors, items, factors);
  const buildMs = performance.now() - started;
  const searcher = new IvfSearcher(index);
  const exactModel = model(data.itemFactors, items, factors);
  const queries = Array.from({ length: 100 }, () => data.query());
  const time = (run: (query: Float32Array) => Ranked): number => {
    for (const query of queries.slice(0, 10)) run(query);
    const start = performance.now();
    for (const query of queries) run(query);
    return ((performance.now() - start) * 1000) / queries.length;
  };
  const exactUs = time((query) => recommendFromVector(exactModel, query, 10));
  const ivfUs = time((query) => searcher.search(query, 10));
  let total = 0;
  for (const query of queries)
    total += recall(recommendFromVector(exactModel, query, 10), searcher.search(query, 10));
  context.diagnostic(
    `build ${buildMs.toFixed(0)} ms; exact ${exactUs.toFixed(0)} µs/query, IVF ${ivfUs.toFixed(0)} µs/query ` +
      `(${index.clusters} clusters, recall@10 ${(total / queries.length).toFixed(3)})`,
  );
  assert.ok(ivfUs < exactUs);
});
