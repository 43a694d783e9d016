import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import type { Item } from '../domain/item.js';
import { createRandom } from '../models/random.js';
import { type IndexSet, type Ranked, topK } from '../models/top-k.js';
import type { HistoryReader } from '../recommend/recommender.js';
import { TrendingCounter } from '../recommend/trending.js';
import { CategoryIndex } from './category-index.js';
import { ItemActivity } from './item-activity.js';
import { MaterializedLists } from './materialized-lists.js';
import {
  type CollaborativeModel,
  type PipelineRequest,
  type PipelineResult,
  type ResolvedScenario,
  type ServingWorld,
  ServingPipeline,
} from './serving-pipeline.js';
import {
  historyReader,
  testCatalog,
  testRequest,
  testScenario,
} from '../../../test/support/pipeline-inputs.js';

const types = new InteractionTypes();
const CLICK = types.indexOf('click')!;
const ITEMS = 600;
/** Items from here on are unavailable. */
const AVAILABLE = 580;
const NOW = 1_700_000_000;

/** Item i is in category `c${i % 3}`, costs i, and is available below AVAILABLE. */
const CATALOG: Item[] = testCatalog(ITEMS, AVAILABLE, NOW);

const CLICKED_0_AND_1 = historyReader([
  [0, CLICK],
  [1, CLICK],
]);

/** Scores in item order (item i: 1000 - i), or shuffled by a seed. */
function scoresFor(seed?: number): Float32Array {
  if (seed === undefined) return Float32Array.from({ length: ITEMS }, (_, i) => 1000 - i);
  const random = createRandom(seed);
  return Float32Array.from({ length: ITEMS }, () => random.next());
}

/**
 * Ranks every item by fixed scores, seen and blocked ones left out (unless told to keep
 * blocked ones, as a materialized list's prefix does); records what it was asked.
 */
class FakeCf implements CollaborativeModel {
  readonly depths: number[] = [];
  readonly withins: (readonly string[] | undefined)[] = [];
  constructor(
    private readonly scores: Float32Array,
    private readonly keepBlocked = false,
  ) {}
  recommend(
    history: HistoryReader,
    user: number,
    k: number,
    blocked?: IndexSet,
    _cacheKey?: number | null,
    _exact?: boolean,
    within?: readonly string[],
  ): Ranked | undefined {
    this.depths.push(k);
    this.withins.push(within);
    const items = new Int32Array(100);
    const historyTypes = new Uint8Array(100);
    const count = history.readRecent(user, items, historyTypes, new Float64Array(100));
    if (count === 0) return undefined;
    const seen = new Set<number>();
    for (let i = 0; i < count; i++) if (types.seenMask[historyTypes[i]!] === 1) seen.add(items[i]!);
    const keep = within === undefined || within.length === 0 ? undefined : new Set(within);
    return topK(this.scores, k, {
      has: (i) =>
        (!this.keepBlocked && (seen.has(i) || (blocked?.has(i) ?? false))) ||
        (keep !== undefined && !CATALOG[i]!.categories.some((c) => keep.has(c))),
    });
  }
  similar(): Ranked | undefined {
    return undefined;
  }
}

function world(cf: CollaborativeModel): ServingWorld {
  const trending = new TrendingCounter(3600);
  for (let i = 0; i < AVAILABLE; i++) trending.add(i, i + 1, NOW);
  const view = { capacity: ITEMS, at: (i: number) => CATALOG[i] };
  return {
    types,
    cf,
    trending,
    content: undefined,
    gate: { has: (i) => !(CATALOG[i]?.available ?? false) || (CATALOG[i]?.hidden ?? true) },
    catalog: view,
    categories: CategoryIndex.build(view),
    activity: new ItemActivity(),
    totalInteractions: (i) => i,
    lastInteractionAt: () => NOW - 60,
  };
}

function scenario(overrides: Partial<ResolvedScenario> = {}): ResolvedScenario {
  return testScenario(types, { fallback: [], ...overrides });
}

function request(overrides: Partial<PipelineRequest> = {}): PipelineRequest {
  return testRequest(scenario(), CLICKED_0_AND_1, 10, NOW, overrides);
}

const pipelineFor = (): ServingPipeline =>
  new ServingPipeline(ITEMS, CategoryIndex.build({ capacity: ITEMS, at: (i) => CATALOG[i] }));

/** Keeps one item in ten: prices ending in 3. */
const ONE_IN_TEN = (item: Item): boolean => (item.attributes['price'] as number) % 10 === 3;

/**
 * The same request made non-streaming without changing its order: a per-category cap no
 * category reaches, or a boost of 1 for every item.
 */
function nonStreaming(base: PipelineRequest): PipelineRequest[] {
  return [
    {
      ...base,
      scenario: { ...base.scenario, diversity: { mode: 'category-cap', perCategory: 1000 } },
    },
    { ...base, boost: () => 1 },
  ];
}

const items = (result: PipelineResult): number[] => [...result.items];

test('a streamed page equals the same request made non-streaming', () => {
  const pipeline = pipelineFor();
  for (const seed of [undefined, 3, 4]) {
    const scores = scoresFor(seed);
    const reference = topK(scores, ITEMS, {
      has: (i) => i === 0 || i === 1 || i >= AVAILABLE || !ONE_IN_TEN(CATALOG[i]!),
    });
    const cases: [string, Partial<PipelineRequest>][] = [
      ['a filter', { filter: ONE_IN_TEN }],
      ['no filter', {}],
      ['a filter, offset 20', { filter: ONE_IN_TEN, offset: 20 }],
      [
        'a filter, an exclude list and offset 5',
        {
          filter: ONE_IN_TEN,
          offset: 5,
          k: 7,
          // Items the filter keeps, on or above the page, and some it would not keep.
          exclude: new Set([...reference.indices.subarray(2, 9)].concat([5, 6, 7, 8])),
        },
      ],
      ['a large page', { filter: ONE_IN_TEN, k: 40 }],
      ['a filter and a fallback', { filter: ONE_IN_TEN, k: 70 }],
    ];
    for (const [name, overrides] of cases) {
      const label = `${name}, scores ${seed ?? 'in item order'}`;
      const cf = new FakeCf(scores);
      const base = request({
        ...overrides,
        scenario: scenario({
          fallback: name.includes('fallback') ? ['trending'] : [],
        }),
      });
      const streamed = pipeline.run(world(cf), base);
      assert.deepEqual(streamed.degraded, [], label);
      const streamedDepths = [...cf.depths];
      for (const [variant, other] of nonStreaming(base).entries()) {
        const once = new FakeCf(scores);
        const result = pipeline.run(world(once), other);
        assert.deepEqual(items(streamed), items(result), `${label}, variant ${variant}`);
        assert.deepEqual(streamed.fallbackUsed, result.fallbackUsed, label);
        // Made non-streaming, the source ranks once, ten times deeper under a filter.
        assert.deepEqual(once.depths, [base.filter === undefined ? 100 : 1000], label);
      }
      assert.equal(streamedDepths[0], Math.max(100, base.offset + base.k), label);
      if (base.exclude !== undefined)
        for (const item of streamed.items) assert.ok(!base.exclude.has(item), label);
      if (base.filter !== undefined && !name.includes('fallback')) {
        const kept = [...reference.indices].filter((i) => !(base.exclude?.has(i) ?? false));
        assert.deepEqual(
          items(streamed),
          kept.slice(base.offset, base.offset + base.k),
          `${label}: the source's order`,
        );
      }
    }
  }
});

test('streaming stops once the page is full: the unfiltered request reads one list', () => {
  const cf = new FakeCf(scoresFor());
  const result = pipelineFor().run(world(cf), request({ k: 5 }));
  assert.deepEqual(items(result), [2, 3, 4, 5, 6]);
  assert.deepEqual(cf.depths, [100]);
  assert.deepEqual(result.removed, {});
});

test('a selective filter fills the page by asking the source ten times deeper', () => {
  // Keeps one item in fifty: 7, 57, 107, ...; the budget (20) holds one of them.
  const selective = (item: Item): boolean => (item.attributes['price'] as number) % 50 === 7;
  const cf = new FakeCf(scoresFor());
  const base = request({
    k: 5,
    filter: selective,
    scenario: scenario({ sources: [{ name: 'cf', budget: 20, weight: 1 }] }),
  });
  const result = pipelineFor().run(world(cf), base);
  assert.deepEqual(items(result), [7, 57, 107, 157, 207]);
  assert.deepEqual(cf.depths, [20, 200, 2000]);
  assert.deepEqual(result.degraded, []);
  // Rule removals are reported: everything walked that the filter dropped.
  const rule = result.removed['rule'] ?? 0;
  assert.ok(rule >= 207 - 2 + 1 - 5, `removed ${JSON.stringify(result.removed)}`);
  assert.ok(rule <= ITEMS, `removed ${JSON.stringify(result.removed)}`);
  assert.deepEqual(Object.keys(result.removed), ['rule']);

  // Made non-streaming, the same source ranks once (ten times its budget) and comes short.
  const [capped] = nonStreaming(base);
  const once = new FakeCf(scoresFor());
  const short = pipelineFor().run(world(once), capped!);
  assert.deepEqual(once.depths, [200]);
  assert.deepEqual(items(short), [7, 57, 107, 157]);
});

test('a source that runs out stops the deepening; the fallback still runs', () => {
  // Only two items pass; the list runs out at the second deepening (578 < 2000).
  const rare = (item: Item): boolean => item.id === 'i7' || item.id === 'i557';
  const cf = new FakeCf(scoresFor());
  const base = request({
    k: 5,
    filter: rare,
    scenario: scenario({
      sources: [{ name: 'cf', budget: 20, weight: 1 }],
      fallback: ['trending'],
    }),
  });
  const result = pipelineFor().run(world(cf), base);
  assert.deepEqual(cf.depths, [20, 200, 2000]);
  assert.deepEqual(items(result), [7, 557]);
  // The whole list was walked: every item trending has was already a candidate.
  assert.deepEqual(result.fallbackUsed, []);
  assert.equal(result.removed['rule'], AVAILABLE - 2 - 2);
  const reference = pipelineFor().run(world(new FakeCf(scoresFor())), nonStreaming(base)[1]!);
  assert.deepEqual(items(reference), items(result));
});

test('removed counts cover every reason when the source proposes blocked items too', () => {
  // A source that ignores the blocked set (as a materialized list's prefix holds them).
  const scores = scoresFor();
  const exclude = new Set([3, 4, 13]);
  const base = request({ k: 4, filter: ONE_IN_TEN, exclude });
  const cf = new FakeCf(scores, true);
  const result = pipelineFor().run(world(cf), base);
  // 0 and 1 seen, 3 and 13 excluded: the kept ones are 23, 33, 43, 53.
  assert.deepEqual(items(result), [23, 33, 43, 53]);
  assert.equal(result.removed['seen'], 2);
  assert.equal(result.removed['excluded'], 3);
  const rule = result.removed['rule'] ?? 0;
  // At least everything up to 53 that is not kept, seen or excluded.
  assert.ok(rule >= 54 - 4 - 2 - 3, `removed ${JSON.stringify(result.removed)}`);
  for (const [variant, other] of nonStreaming(base).entries()) {
    const reference = pipelineFor().run(world(new FakeCf(scores, true)), other);
    assert.deepEqual(items(result), items(reference), `variant ${variant}`);
    // Non-streaming filters the whole (deeper) list: at least as many removals.
    assert.ok((reference.removed['rule'] ?? 0) >= rule);
    assert.equal(reference.removed['seen'], 2);
    assert.equal(reference.removed['excluded'], 3);
    assert.equal(reference.removed['unavailable'], ITEMS - AVAILABLE);
  }
});

test('the filter’s required categories reach the source, which starts narrower', () => {
  const scores = scoresFor(5);
  const inC1 = (item: Item): boolean => item.categories.includes('c1');
  const cf = new FakeCf(scores);
  const base = request({ k: 10, offset: 10, filter: inC1, categories: ['c1'] });
  const result = pipelineFor().run(world(cf), base);
  assert.ok(cf.withins.every((within) => within?.[0] === 'c1' && within.length === 1));
  // A narrowed search starts at the page and five more.
  assert.equal(cf.depths[0], 20 + 5);
  assert.deepEqual(cf.depths, [25]);
  assert.ok(result.items.every((item) => item % 3 === 1));
  const reference = pipelineFor().run(world(new FakeCf(scores)), nonStreaming(base)[0]!);
  assert.deepEqual(items(result), items(reference));
});

test('streaming through materialized lists serves the page the model itself would', () => {
  const scores = scoresFor(6);
  const pipeline = pipelineFor();
  const model = new FakeCf(scores);
  const lists = new MaterializedLists({ depth: 200, capacity: 10 }).use(model);
  const exclude = new Set<number>();
  for (const offset of [0, 10, 20]) {
    const base = request({ k: 10, offset, filter: ONE_IN_TEN, exclude });
    const viaLists = pipeline.run(world(lists), base);
    const direct = pipeline.run(world(new FakeCf(scores)), base);
    assert.deepEqual(items(viaLists), items(direct), `offset ${offset}`);
    assert.equal(viaLists.items.length, 10);
    for (const item of viaLists.items.subarray(0, 3)) exclude.add(item);
  }
  // One ranking depth 200 kept; deeper walks ranked afresh, without a second miss.
  assert.equal(lists.stats().misses, 1);
});

test('pinned items and a failing rule filter give the same page streamed or not', () => {
  const scores = scoresFor(7);
  const kept = topK(scores, ITEMS, {
    has: (i) => i === 0 || i === 1 || i >= AVAILABLE || !ONE_IN_TEN(CATALOG[i]!),
  });
  const pinned = [
    // One on the page anyway, one from deep down, one the filter drops.
    { item: kept.indices[3]!, position: 0 },
    { item: kept.indices[40]!, position: 2 },
    { item: 4, position: 5 },
  ];
  let calls = 0;
  const throwing = (item: Item): boolean => {
    if (++calls > 40) throw new Error('rule exploded');
    return ONE_IN_TEN(item);
  };
  const cases: [string, Partial<PipelineRequest>][] = [
    ['pinned', { filter: ONE_IN_TEN, scenario: scenario({ pinned }) }],
    ['pinned, offset 4', { filter: ONE_IN_TEN, offset: 4, scenario: scenario({ pinned }) }],
    ['a rule filter that throws', { filter: throwing }],
  ];
  for (const [name, overrides] of cases) {
    const base = request(overrides);
    calls = 0;
    const streamed = pipelineFor().run(world(new FakeCf(scores)), base);
    for (const [variant, other] of nonStreaming(base).entries()) {
      calls = 0;
      const result = pipelineFor().run(world(new FakeCf(scores)), other);
      assert.deepEqual(items(streamed), items(result), `${name}, variant ${variant}`);
      assert.deepEqual(streamed.degraded, result.degraded, `${name}, variant ${variant}`);
    }
    assert.equal(streamed.items.length, 10, name);
  }
});
