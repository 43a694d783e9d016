import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import type { Item } from '../domain/item.js';
import { type IndexSet, type Ranked, topK } from '../models/top-k.js';
import type { HistoryReader } from '../recommend/recommender.js';
import { TrendingCounter } from '../recommend/trending.js';
import { CategoryIndex } from './category-index.js';
import { ItemActivity } from './item-activity.js';
import {
  type CollaborativeModel,
  type PipelineRequest,
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
import type { SourceSetting } from '../domain/scenario.js';

const types = new InteractionTypes();
const CLICK = types.indexOf('click')!;
const VIEW = types.indexOf('view')!;
const DISLIKE = types.indexOf('dislike')!;
const ITEMS = 60;
const NOW = 1_700_000_000;

/** Items 0..59; item i is in category `c${i % 3}`, items 50.. are unavailable. */
const catalog = (): Item[] => testCatalog(ITEMS, 50, NOW);

/**
 * A stand-in for the trained pipeline: item i scores 100 - i for everyone, seen items
 * (the reader's click types) and blocked ones left out; similar(i) favours i's neighbours.
 */
class FakeCf implements CollaborativeModel {
  calls = 0;
  fail = false;
  recommend(
    history: HistoryReader,
    user: number,
    k: number,
    blocked?: IndexSet,
  ): Ranked | undefined {
    this.calls++;
    if (this.fail) throw new Error('model exploded');
    const items = new Int32Array(100);
    const historyTypes = new Uint8Array(100);
    const count = history.readRecent(user, items, historyTypes, new Float64Array(100));
    if (count === 0) return undefined;
    const seen = new Set<number>();
    for (let i = 0; i < count; i++) if (types.seenMask[historyTypes[i]!] === 1) seen.add(items[i]!);
    const scores = Float32Array.from({ length: ITEMS }, (_, i) => 100 - i);
    return topK(scores, k, { has: (i) => seen.has(i) || (blocked?.has(i) ?? false) });
  }
  similar(item: number, k: number, blocked?: IndexSet): Ranked | undefined {
    const scores = Float32Array.from({ length: ITEMS }, (_, i) => -Math.abs(i - item));
    return topK(scores, k, { has: (i) => i === item || (blocked?.has(i) ?? false) });
  }
}

function world(cf: CollaborativeModel | undefined = new FakeCf()): ServingWorld {
  const items = catalog();
  const trending = new TrendingCounter(3600);
  // Trending favours the high indexes: 49, 48, ...
  for (let i = 0; i < 50; i++) trending.add(i, i + 1, NOW);
  const activity = new ItemActivity();
  return {
    types,
    cf,
    trending,
    content: undefined,
    gate: { has: (i) => !(items[i]?.available ?? false) || (items[i]?.hidden ?? true) },
    catalog: { capacity: ITEMS, at: (i) => items[i] },
    categories: CategoryIndex.build({ capacity: ITEMS, at: (i) => items[i] }),
    activity,
    totalInteractions: (i) => i,
    lastInteractionAt: () => NOW - 60,
  };
}

function scenario(overrides: Partial<ResolvedScenario> = {}): ResolvedScenario {
  return testScenario(types, overrides);
}

function request(overrides: Partial<PipelineRequest> = {}): PipelineRequest {
  const clicked = historyReader([
    [0, CLICK],
    [1, CLICK],
  ]);
  return testRequest(scenario(), clicked, 5, NOW, overrides);
}

const pipelineFor = (): ServingPipeline =>
  new ServingPipeline(ITEMS, CategoryIndex.build({ capacity: ITEMS, at: (i) => catalog()[i] }));

test('the default scenario ranks exactly as the trained pipeline does', () => {
  const served = world();
  const result = pipelineFor().run(served, request({ k: 10 }));
  const direct = served.cf!.recommend(
    historyReader([
      [0, CLICK],
      [1, CLICK],
    ]),
    0,
    10,
    served.gate,
  )!;
  assert.deepEqual([...result.items], [...direct.indices]);
  assert.deepEqual(result.degraded, []);
  assert.equal(result.scorer, 'blend');
});

test('several sources at once: each candidate records who proposed it', () => {
  const sources: SourceSetting[] = [
    { name: 'cf', budget: 5, weight: 1 },
    { name: 'trending', budget: 5, weight: 1 },
    { name: 'recent', budget: 5, weight: 0.5 },
  ];
  const result = pipelineFor().run(
    world(),
    request({ k: 15, explain: true, scenario: scenario({ sources }) }),
  );
  const explained = result.explanations!;
  const proposers = explained.map((e) =>
    e.sources
      .map((s) => s.source)
      .sort()
      .join('+'),
  );
  for (const source of ['cf', 'trending', 'recent'])
    assert.ok(
      proposers.some((p) => p.split('+').includes(source)),
      proposers.join(','),
    );
  // Item 2 is cf's best and recent's best (nearest to the latest item, 0): both proposed it.
  const at = [...result.items].indexOf(2);
  assert.deepEqual(explained[at]!.sources.map((s) => s.source).sort(), ['cf', 'recent']);
  assert.equal(explained[at]!.features['source.cf'], 1);
  assert.equal(result.items.length, 15);
});

test('filters: seen, negative feedback, unavailable, the exclude list and the rule filter', () => {
  const history = historyReader([
    [3, DISLIKE],
    [0, CLICK],
    [1, VIEW],
  ]);
  const sources: SourceSetting[] = [{ name: 'trending', budget: 60, weight: 1 }];
  const noViews = scenario({ sources, fallback: [] });
  const result = pipelineFor().run(
    world(),
    request({
      k: 60,
      subject: { kind: 'user', user: 0, reader: history },
      scenario: noViews,
      exclude: new Set([49, 48]),
      filter: (item) => item.attributes['price'] !== 2,
    }),
  );
  const ids = new Set(result.items);
  for (const gone of [0, 2, 3, 48, 49, 50, 55]) assert.ok(!ids.has(gone), `${gone} is left out`);
  assert.ok(ids.has(1), 'views do not mark items seen by default');
  assert.equal(result.items.length, 50 - 5);
  // Sources never propose seen, disliked or excluded items; the filter catches the rest.
  assert.deepEqual(result.removed, { rule: 1 });
  // Seen types are configurable: counting views hides item 1 too.
  const seenTypes = Uint8Array.from(types.seenMask);
  seenTypes[VIEW] = 1;
  const strict = pipelineFor().run(
    world(),
    request({
      k: 60,
      subject: { kind: 'user', user: 0, reader: history },
      scenario: scenario({ sources, fallback: [], seenTypes }),
    }),
  );
  assert.ok(![...strict.items].includes(1));
});

test('an unknown history falls back along the chain without being degraded', () => {
  const result = pipelineFor().run(
    world(),
    request({ subject: { kind: 'user', user: 7, reader: historyReader([]) } }),
  );
  assert.deepEqual([...result.items], [49, 48, 47, 46, 45]);
  assert.deepEqual(result.fallbackUsed, ['trending']);
  assert.deepEqual(result.degraded, []);
});

test('a source that throws is skipped: trending answers, the result says degraded', () => {
  const cf = new FakeCf();
  cf.fail = true;
  const result = pipelineFor().run(world(cf), request());
  assert.deepEqual([...result.items], [49, 48, 47, 46, 45]);
  assert.equal(result.degraded.length, 1);
  assert.match(result.degraded[0]!, /retrieve: cf failed \(model exploded\)/);
});

test('a stage that runs over its budget is skipped', () => {
  let now = 0;
  const pipeline = new ServingPipeline(ITEMS, undefined, {
    clock: () => now,
  });
  const slow: CollaborativeModel = {
    recommend: (history, user, k, blocked) => {
      now += 500;
      return new FakeCf().recommend(history, user, k, blocked);
    },
    similar: (item, k, blocked) => new FakeCf().similar(item, k, blocked),
  };
  const result = pipeline.run(world(slow), request());
  assert.deepEqual([...result.items], [49, 48, 47, 46, 45], 'the fallback answered');
  assert.match(result.degraded.join(), /cf ran over the 200 ms budget/);

  const slowFilter = pipeline.run(
    world(),
    request({
      filter: () => {
        now += 100;
        return false;
      },
    }),
  );
  assert.equal(slowFilter.items.length, 5, 'the rule filter was skipped, not applied');
  assert.match(slowFilter.degraded.join(), /filter: the rule filter ran over/);
});

test('boosts multiply the score and are explained', () => {
  const result = pipelineFor().run(
    world(),
    request({
      k: 3,
      explain: true,
      boost: (item) => (item.id === 'i9' ? 10 : 1),
      explainBoost: (item) => (item.id === 'i9' ? [{ rule: 'id = "i9"', factor: 10 }] : []),
    }),
  );
  assert.equal(result.items[0], 9);
  assert.deepEqual(result.explanations![0]!.rules, [{ rule: 'id = "i9"', factor: 10 }]);
  assert.equal(result.explanations![0]!.score.boost, 10);
});

test('ordering: pagination, pinned items, per-category caps and exploration', () => {
  const pipeline = pipelineFor();
  const served = world();
  const all = pipeline.run(served, request({ k: 12 })).items;
  const second = pipeline.run(served, request({ k: 4, offset: 4 })).items;
  assert.deepEqual([...second], [...all.subarray(4, 8)]);

  const pinned = pipeline.run(
    served,
    request({
      k: 4,
      scenario: scenario({
        pinned: [
          { item: 40, position: 1 },
          { item: 55, position: 0 },
        ],
      }),
    }),
  ).items;
  assert.deepEqual([...pinned], [all[0], 40, all[1], all[2]], 'unavailable pins are dropped');

  const capped = pipeline.run(
    served,
    request({ k: 6, scenario: scenario({ diversity: { mode: 'category-cap', perCategory: 1 } }) }),
  ).items;
  const categories = [...capped.subarray(0, 3)].map((i) => i % 3);
  assert.equal(new Set(categories).size, 3, 'the first three come from three categories');

  const mmr = pipeline.run(
    served,
    request({ k: 6, scenario: scenario({ diversity: { mode: 'mmr', lambda: 0.3 } }) }),
  ).items;
  assert.equal(new Set([...mmr.subarray(0, 3)].map((i) => i % 3)).size, 3);

  const explored = pipeline.run(
    served,
    request({ k: 10, explain: true, scenario: scenario({ exploration: 0.5 }) }),
  );
  const flagged = explored.explanations!.filter((e) => e.explored).length;
  assert.ok(flagged > 0 && flagged < 10, `${flagged} explored slots`);
  assert.ok(
    [...explored.items].some((item) => !all.includes(item)),
    'something from below the page',
  );
});

test('explain reports sources, features and score parts; features are rows per item', () => {
  const result = pipelineFor().run(world(), request({ k: 2, explain: true }));
  const first = result.explanations![0]!;
  assert.deepEqual(
    first.sources.map((s) => s.source),
    ['cf'],
  );
  assert.equal(first.sources[0]!.rank, 1);
  assert.ok('ctr.1h' in first.features && 'affinity' in first.features);
  assert.equal(first.score.final, result.scores[0]);
  assert.equal(result.features.length, 2 * Object.keys(first.features).length);
  // The user clicked items 0 and 1 (categories c0 and c1), half their interest each.
  assert.deepEqual([...result.items], [2, 3]);
  assert.equal(first.features['affinity'], 0);
  assert.equal(result.explanations![1]!.features['affinity'], 0.5);
});

test('under a rule filter sources rank deeper, so a selective filter still fills the page', () => {
  // The filter keeps one item in ten; cf's budget alone (5) would propose none of them.
  const result = pipelineFor().run(
    world(),
    request({
      scenario: scenario({ sources: [{ name: 'cf', budget: 5, weight: 1 }], fallback: [] }),
      filter: (item) => (item.attributes['price'] as number) % 10 === 0,
    }),
  );
  // Item 0 was clicked (seen); items from 50 on are unavailable.
  assert.deepEqual([...result.items], [10, 20, 30, 40]);
  assert.deepEqual(result.degraded, []);
});
