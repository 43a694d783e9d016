// Offline evaluation on MovieLens-small with Microsoft Recommenders' protocol: stratified
// 75/25 split per user (seed 42), k = 10, every held-out rating relevant, training items
// removed from each ranking.
// Usage (from the repository root, after npm run build):
//   node build/bench/models/movielens-eval.js [path/to/ratings.csv]
import { resolve } from 'node:path';
import { catalogCoverage, evaluateRanking, novelty } from '../../src/core/evaluation/metrics.js';
import {
  type UserScorer,
  recommendForUsers,
  relevantItems,
} from '../../src/core/evaluation/rank-users.js';
import { pickRows, stratifiedSplit } from '../../src/core/evaluation/splits.js';
import { type ScoreNormalization, blendScores } from '../../src/core/models/blend.js';
import { fitBpr } from '../../src/core/models/bpr.js';
import { fitEase, scoreEase } from '../../src/core/models/ease.js';
import { scoreItems, userVector } from '../../src/core/models/factor-model.js';
import { type IalsOptions, fitIals } from '../../src/core/models/ials.js';
import { ialsThreadPool } from '../../src/app/training/ials-thread-pool.js';
import {
  type CsrMatrix,
  buildInteractionMatrix,
} from '../../src/core/models/interaction-matrix.js';
import { fitItemKnn, scoreFromHistory } from '../../src/core/models/item-knn.js';
import { popularityScores } from '../../src/core/models/popularity.js';
import { IndexMask } from '../../src/core/models/top-k.js';
import { type Ratings, loadMovieLensRatings } from './movielens-data.js';

const K = 10;
const path = resolve(process.argv[2] ?? '../shared/datasets/movielens-small/ratings.csv');

// Hyperparameters, tuned by nDCG@10 on a validation split carved out of the training side.
const EASE_OPTIONS = { lambda: 300 };
const KNN_OPTIONS = { similarity: 'cosine', neighbours: 50, shrinkage: 10 } as const;
const IALS_BINARY: IalsOptions = {
  factors: 128,
  regularization: 5,
  alpha: 5,
  regularizationExponent: 0.5,
};
// Confidence 1 + rating, the engine's "rating weighs its value" configuration.
const IALS_RATED: IalsOptions = {
  factors: 128,
  regularization: 5,
  alpha: 1,
  regularizationExponent: 0.5,
};
const BPR_OPTIONS = {
  factors: 64,
  learningRate: 0.05,
  regularization: 0.001,
  iterations: 100,
  seed: 1,
};
const BLEND_WEIGHTS = [
  [1, 1, 0],
  [0.5, 1, 0],
  [1, 0.5, 0],
  [1, 1, 0.1],
  [0.5, 1, 0.1],
  [1, 1, 0.25],
];

interface Evaluation {
  /** Every training rating as weight 1. */
  readonly binary: CsrMatrix;
  /** Every training rating weighted by its value. */
  readonly rated: CsrMatrix;
  readonly relevant: Map<number, Set<number>>;
}

/** The three models the blend combines, as per-user scorers. */
interface BlendParts {
  readonly ease: UserScorer;
  readonly ials: UserScorer;
  readonly knn: UserScorer;
}

function prepare(ratings: Ratings, trainRows: Int32Array, testRows: Int32Array): Evaluation {
  const users = pickRows(ratings.users, trainRows);
  const items = pickRows(ratings.items, trainRows);
  const size = { users: ratings.userCount, items: ratings.itemCount };
  return {
    binary: buildInteractionMatrix(
      { users, items, weights: new Float32Array(users.length).fill(1) },
      size,
    ),
    rated: buildInteractionMatrix(
      { users, items, weights: pickRows(ratings.ratings, trainRows) },
      size,
    ),
    relevant: relevantItems(pickRows(ratings.users, testRows), pickRows(ratings.items, testRows)),
  };
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

async function timed<T>(fit: () => T | Promise<T>): Promise<{ model: T; seconds: number }> {
  const started = performance.now();
  const model = await fit();
  return { model, seconds: seconds(started) };
}

async function fitBlendParts(
  data: Evaluation,
): Promise<{ parts: BlendParts; seconds: Record<string, number> }> {
  const ease = await timed(() => fitEase(data.binary, EASE_OPTIONS));
  const ials = await timed(() =>
    fitIals(data.rated, { ...IALS_RATED, threads: ialsThreadPool(2) }),
  );
  const knn = await timed(() => fitItemKnn(data.binary, KNN_OPTIONS));
  return {
    parts: {
      ease: (_user, history) => scoreEase(ease.model, history),
      ials: (user) => scoreItems(ials.model, userVector(ials.model, user)),
      knn: (_user, history) => scoreFromHistory(knn.model, history),
    },
    seconds: { ease: ease.seconds, ials: ials.seconds, knn: knn.seconds },
  };
}

function blendScorer(
  parts: BlendParts,
  weights: readonly number[],
  method: ScoreNormalization,
): UserScorer {
  return (user, history, historyWeights) => {
    const scored = [parts.ease, parts.ials, parts.knn].map((scorer, index) => ({
      scores: scorer(user, history, historyWeights),
      weight: weights[index]!,
    }));
    return blendScores(scored, method, new IndexMask(scored[0]!.scores.length, history));
  };
}

/** Scores each user once, however many blend weightings are tried. */
function memoize(scorer: UserScorer): UserScorer {
  const cache = new Map<number, Float32Array>();
  return (user, history, weights) => {
    let scores = cache.get(user);
    if (scores === undefined) cache.set(user, (scores = scorer(user, history, weights)));
    return scores;
  };
}

/**
 * Chooses the blend's weights and normalization by nDCG on a validation split of the
 * training rows (never on the test rows), with the models refitted on the rest.
 */
async function tuneBlend(
  ratings: Ratings,
  trainRows: Int32Array,
): Promise<{ weights: number[]; method: ScoreNormalization; ndcg: number }> {
  const inner = stratifiedSplit(
    { users: pickRows(ratings.users, trainRows), items: pickRows(ratings.items, trainRows) },
    { ratio: 0.75, seed: 7 },
  );
  const validation = prepare(
    ratings,
    Int32Array.from(inner.train, (position) => trainRows[position]!),
    Int32Array.from(inner.test, (position) => trainRows[position]!),
  );
  const { parts } = await fitBlendParts(validation);
  const cached: BlendParts = {
    ease: memoize(parts.ease),
    ials: memoize(parts.ials),
    knn: memoize(parts.knn),
  };
  let best = { weights: BLEND_WEIGHTS[0]!, method: 'rank' as ScoreNormalization, ndcg: -1 };
  for (const method of ['rank', 'z'] as const) {
    for (const weights of BLEND_WEIGHTS) {
      const scorer = blendScorer(cached, weights, method);
      const lists = recommendForUsers(validation.relevant.keys(), validation.binary, scorer, K);
      const { ndcg } = evaluateRanking(lists, validation.relevant, K);
      if (ndcg > best.ndcg) best = { weights, method, ndcg };
    }
  }
  return best;
}

const ratings = loadMovieLensRatings(path);
const split = stratifiedSplit(ratings, { ratio: 0.75, seed: 42 });
const data = prepare(ratings, split.train, split.test);
const { binary: train, relevant } = data;
console.log(
  `${ratings.userCount} users, ${ratings.itemCount} items, ${ratings.users.length} ratings; ` +
    `train ${split.train.length}, test ${split.test.length} (${relevant.size} users); k = ${K}`,
);

const trainItemCounts = new Float64Array(train.cols);
for (const item of train.colIdx) trainItemCounts[item]!++;
const trainItems = trainItemCounts.filter((count) => count > 0).length;

const rows: string[] = [];
function report(name: string, scorer: UserScorer, fitSeconds: number): void {
  const lists = recommendForUsers(relevant.keys(), train, scorer, K);
  const m = evaluateRanking(lists, relevant, K);
  const cells = [
    name.padEnd(16),
    m.ndcg.toFixed(4).padStart(7),
    m.precision.toFixed(4).padStart(7),
    m.recall.toFixed(4).padStart(9),
    m.map.toFixed(4).padStart(6),
    m.mrr.toFixed(4).padStart(6),
    m.hitRate.toFixed(4).padStart(7),
    catalogCoverage(lists, trainItems, K).toFixed(4).padStart(8),
    novelty(lists, trainItemCounts, K).toFixed(2).padStart(7),
    fitSeconds.toFixed(1).padStart(5),
  ];
  rows.push(`| ${cells.join(' | ')} |`);
}

const popularity = await timed(() => popularityScores(train));
report('most-popular', () => popularity.model.slice(), popularity.seconds);

const knn = await timed(() => fitItemKnn(train, KNN_OPTIONS));
report('item-kNN', (_user, history) => scoreFromHistory(knn.model, history), knn.seconds);

const ialsBinary = await timed(() =>
  fitIals(train, { ...IALS_BINARY, threads: ialsThreadPool(2) }),
);
report(
  'iALS (binary)',
  (user) => scoreItems(ialsBinary.model, userVector(ialsBinary.model, user)),
  ialsBinary.seconds,
);

const blend = await fitBlendParts(data);
report('iALS (rating)', blend.parts.ials, blend.seconds['ials']!);
report('EASE', blend.parts.ease, blend.seconds['ease']!);

const bpr = await timed(() => fitBpr(train, BPR_OPTIONS));
report('BPR', (user) => scoreItems(bpr.model, userVector(bpr.model, user)), bpr.seconds);

const tuning = await timed(() => tuneBlend(ratings, split.train));
const chosen = tuning.model;
const partsSeconds = Object.values(blend.seconds).reduce((sum, value) => sum + value, 0);
report(
  'blend',
  blendScorer(blend.parts, chosen.weights, chosen.method),
  partsSeconds + tuning.seconds,
);

console.log(
  `blend: ${chosen.method}-normalized scores, weights EASE ${chosen.weights[0]}, iALS (rating) ` +
    `${chosen.weights[1]}, item-kNN ${chosen.weights[2]}, chosen on a validation split ` +
    `(validation nDCG@10 ${chosen.ndcg.toFixed(4)}); its fit time includes that tuning`,
);
console.log(
  '| model            | nDCG@10 | Prec@10 | Recall@10 | MAP@10 |    MRR | HitRate | Coverage | Novelty | fit s |',
);
console.log(
  '|------------------|---------|---------|-----------|--------|--------|---------|----------|---------|-------|',
);
for (const row of rows) console.log(row);
