// Time of the `cf` source per request, scoring every item vs the inner-product index, on
// a 100,000-item iALS model: k=10, a category filter (one category in 20), 5 excludes,
// through the serving pipeline in process. Also the index build time for 32 and 64
// factors, and how often the index's page equals the exact one.
// Usage: node build/bench/models/ivf-serving.js [--items N] [--users U] [--interactions N]
//        [--factors K] [--epochs E] [--requests R]
import { parseArgs } from 'node:util';
import { InteractionTypes } from '../../src/core/domain/interaction.js';
import type { Item } from '../../src/core/domain/item.js';
import { fitIals } from '../../src/core/models/ials.js';
import { buildInteractionMatrix } from '../../src/core/models/interaction-matrix.js';
import { buildIvfIndex } from '../../src/core/models/ivf.js';
import { createRandom } from '../../src/core/models/random.js';
import { parsePipelineConfig } from '../../src/core/recommend/blend-config.js';
import { type HistoryReader, Recommender } from '../../src/core/recommend/recommender.js';
import { TrendingCounter } from '../../src/core/recommend/trending.js';
import { CategoryIndex } from '../../src/core/serving/category-index.js';
import { ItemActivity } from '../../src/core/serving/item-activity.js';
import { type ServingWorld, ServingPipeline } from '../../src/core/serving/serving-pipeline.js';
import { testScenario } from '../../test/support/pipeline-inputs.js';
import { generateInteractions } from './synthetic-interactions.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    users: { type: 'string', default: '20000' },
    interactions: { type: 'string', default: '400000' },
    factors: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '4' },
    requests: { type: 'string', default: '2000' },
    'min-probes': { type: 'string' },
    'candidate-factor': { type: 'string' },
    'skip-build-times': { type: 'boolean', default: false },
  },
});
const itemCount = Number(values.items);
const userCount = Number(values.users);
const factors = Number(values.factors);
const requests = Number(values.requests);
const CATEGORIES = 20;
const NOW = 1_700_000_000;

for (const size of values['skip-build-times'] ? [] : [32, 64]) {
  const random = createRandom(size);
  const rows = Float32Array.from({ length: itemCount * size }, () => random.nextGaussian());
  const started = performance.now();
  const index = buildIvfIndex(rows, itemCount, size);
  console.log(
    `index build, ${itemCount} × ${size}: ${(performance.now() - started).toFixed(0)} ms ` +
      `(${index.clusters} clusters, in one go)`,
  );
}

const generated = generateInteractions(userCount, itemCount, Number(values.interactions));
const matrix = buildInteractionMatrix(generated, { users: userCount, items: itemCount });
const fitStarted = performance.now();
const ials = await fitIals(matrix, {
  factors,
  iterations: Number(values.epochs),
  regularization: 1,
  alpha: 1,
});
console.log(
  `iALS ${factors} factors on ${generated.users.length} interactions: ` +
    `${((performance.now() - fitStarted) / 1000).toFixed(1)} s`,
);

const types = new InteractionTypes();
const CLICK = types.indexOf('click')!;
const config = parsePipelineConfig({
  components: [{ kind: 'ials', params: { factors } }],
  historyLimit: 200,
});
const model = {
  config,
  itemCount,
  components: [
    {
      kind: 'ials' as const,
      config: config.components[0]!,
      ials: {
        factors,
        items: itemCount,
        itemFactors: ials.itemFactors,
        itemGram: ials.itemGram,
        alpha: ials.alpha,
        regularization: ials.regularization,
        regularizationExponent: ials.regularizationExponent,
      },
    },
  ],
};

// Each user's generated interactions as clicks, newest first.
const starts = new Int32Array(userCount + 1);
for (const user of generated.users) starts[user + 1]!++;
for (let user = 0; user < userCount; user++) starts[user + 1]! += starts[user]!;
const histories: HistoryReader = {
  readRecent(user, items, historyTypes, historyValues) {
    const from = starts[user]!;
    const count = Math.min(starts[user + 1]! - from, items.length);
    for (let i = 0; i < count; i++) {
      items[i] = generated.items[from + count - 1 - i]!;
      historyTypes[i] = CLICK;
      historyValues[i] = Number.NaN;
    }
    return count;
  },
};

const catalog: Item[] = Array.from({ length: itemCount }, (_, i) => ({
  id: `i${i}`,
  title: `item ${i}`,
  text: {},
  categories: [`c${i % CATEGORIES}`],
  tags: [],
  attributes: {},
  available: true,
  hidden: false,
  createdAt: NOW * 1000,
  updatedAt: NOW * 1000,
}));
const catalogView = { capacity: itemCount, at: (i: number) => catalog[i] };
const trending = new TrendingCounter(3600);
for (let i = 0; i < 1000; i++) trending.add(i, 1000 - i, NOW);

function world(cf: Recommender): ServingWorld {
  return {
    types,
    cf,
    trending,
    content: undefined,
    gate: { has: (i) => catalog[i] === undefined || catalog[i]!.hidden || !catalog[i]!.available },
    catalog: catalogView,
    categories: CategoryIndex.build(catalogView),
    activity: new ItemActivity(),
    totalInteractions: () => 1,
    lastInteractionAt: () => NOW - 60,
  };
}

const scenario = testScenario(types, { name: 'bench' });

// The same request sequence for both: a user, a category, 5 excluded items.
const requestRandom = createRandom(99);
const plan = Array.from({ length: requests }, () => ({
  user: requestRandom.nextInt(userCount),
  category: `c${requestRandom.nextInt(CATEGORIES)}`,
  exclude: new Set(Array.from({ length: 5 }, () => requestRandom.nextInt(itemCount))),
}));

const exact = new Recommender(model, types);
const indexed = new Recommender(model, types);
const built = performance.now();
indexed.useIndex(buildIvfIndex(ials.itemFactors, itemCount, factors), {
  ...(values['min-probes'] === undefined ? {} : { minProbes: Number(values['min-probes']) }),
  ...(values['candidate-factor'] === undefined
    ? {}
    : { candidateFactor: Number(values['candidate-factor']) }),
});
console.log(`index for the trained model: ${(performance.now() - built).toFixed(0)} ms`);

function run(recommender: Recommender): {
  retrieve: number[];
  total: number[];
  pages: Int32Array[];
} {
  const pipeline = new ServingPipeline(itemCount, CategoryIndex.build(catalogView));
  const served = world(recommender);
  const retrieve: number[] = [];
  const total: number[] = [];
  const pages: Int32Array[] = [];
  // Every user's vector folded in once first, as a warm server has them cached.
  for (const { user } of plan) recommender.recommend(histories, user, 1);
  for (const { user, category, exclude } of plan) {
    const started = performance.now();
    const result = pipeline.run(served, {
      subject: { kind: 'user', user, reader: histories },
      scenario,
      k: 10,
      offset: 0,
      exclude,
      filter: (item) => item.categories.includes(category),
      explain: false,
      now: NOW,
      seed: 1,
      trace: {
        stage: (name, fn) => {
          if (name !== 'retrieve') return fn();
          const from = performance.now();
          const value = fn();
          retrieve.push(performance.now() - from);
          return value;
        },
      },
    });
    total.push(performance.now() - started);
    pages.push(result.items);
  }
  return { retrieve, total, pages };
}

const describe = (label: string, times: number[]): string => {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${label} mean ${mean.toFixed(3)} ms, p50 ${at(0.5).toFixed(3)}, p99 ${at(0.99).toFixed(3)}`;
};

run(exact); // warm-up (JIT)
const before = run(exact);
run(indexed);
const after = run(indexed);
let overlap = 0;
let identical = 0;
for (let r = 0; r < requests; r++) {
  const want = new Set(before.pages[r]);
  let hits = 0;
  for (const item of after.pages[r]!) if (want.has(item)) hits++;
  overlap += hits / Math.max(1, want.size);
  if (before.pages[r]!.join() === after.pages[r]!.join()) identical++;
}
console.log(`${requests} requests, k=10, category filter (1 in ${CATEGORIES}), 5 excludes`);
console.log(describe('exact: cf source (retrieve stage)', before.retrieve));
console.log(describe('exact: whole pipeline', before.total));
console.log(describe('index: cf source (retrieve stage)', after.retrieve));
console.log(describe('index: whole pipeline', after.total));
console.log(
  `index pages vs exact: overlap@10 ${(overlap / requests).toFixed(3)}, identical ${identical}/${requests}`,
);
