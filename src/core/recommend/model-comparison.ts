import type { InteractionTypes } from '../domain/interaction.js';
import { catalogCoverage, evaluateRanking, novelty } from '../evaluation/metrics.js';
import { recommendForUsers } from '../evaluation/rank-users.js';
import { fitBpr } from '../models/bpr.js';
import type { IalsThreads } from '../models/ials-threads.js';
import { scoreItems, userVector } from '../models/factor-model.js';
import { topK } from '../models/top-k.js';
import { type InteractionLog, positivePart, viewMatrix } from './interaction-views.js';
import {
  LogHistories,
  type OfflineMetrics,
  type SplitProtocol,
  describeProtocol,
  evaluateOffline,
  itemCounts,
  relevantFromRows,
  splitRows,
} from './offline.js';
import {
  type ComponentKind,
  type PipelineConfig,
  describePipeline,
  singleComponent,
} from './blend-config.js';
import { Recommender } from './recommender.js';
import type { ModelSearchResult } from './model-search.js';
import { choosePipeline, fitPipeline, trendingFromRows } from './train-blend.js';

export interface BenchmarkRow {
  readonly name: string;
  readonly pipeline: string;
  readonly metrics: OfflineMetrics;
  /** Fitting (and, for the default pipeline, searching) seconds. */
  readonly seconds: number;
}

export interface BenchmarkOptions {
  readonly k: number;
  readonly budgetSeconds: number;
  /** The search's request budget in ms (`ModelSearchOptions.requestBudgetMs`). */
  readonly requestBudgetMs?: number;
  readonly threads: IalsThreads;
  /** Single models in the table; default all. */
  readonly models?: readonly (ComponentKind | 'bpr')[];
  /** Run the automatic search (the default pipeline); default true. */
  readonly defaultPipeline?: boolean;
  /** A pinned pipeline to evaluate instead of searching. */
  readonly pipeline?: PipelineConfig;
  readonly seed?: number;
  readonly onProgress?: (message: string) => void;
}

export interface BenchmarkResult {
  readonly protocol: string;
  readonly k: number;
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly trainInteractions: number;
  readonly testInteractions: number;
  readonly testUsers: number;
  readonly rows: readonly BenchmarkRow[];
  readonly search?: ModelSearchResult & { readonly protocol: string };
  /** The pipeline the default row used. */
  readonly chosen?: PipelineConfig;
}

const NAMES: Readonly<Record<ComponentKind | 'bpr', string>> = {
  popularity: 'most-popular',
  'item-knn': 'item-kNN',
  rp3beta: 'RP3beta',
  ease: 'EASE',
  ials: 'iALS',
  bpr: 'BPR',
};

/**
 * Every model, and the default pipeline, on one split, side by side: each trained on the
 * split's training rows and asked for k items for every user with held-out rows, through
 * the serving code path (histories, seen-item exclusion, fold-in). The default pipeline's
 * search sees only the training rows: its validation split is carved from them with the
 * same protocol (another seed).
 */
export async function benchmarkProtocol(
  log: InteractionLog,
  types: InteractionTypes,
  size: { readonly users: number; readonly items: number },
  protocol: SplitProtocol,
  options: BenchmarkOptions,
): Promise<BenchmarkResult> {
  const rows = Int32Array.from({ length: log.users.length }, (_, row) => row);
  const { train, test } = splitRows(log, rows, protocol);
  const training = new LogHistories(log, train, size.users);
  const relevant = relevantFromRows(log, types, test, training);
  const counts = itemCounts(log, train, size.items);
  const trending = trendingFromRows(log, types, train, size.items, 7 * 86_400);
  const fallback = (): Int32Array => topK(trending, options.k).indices;
  const progress = options.onProgress ?? (() => undefined);
  const result: BenchmarkRow[] = [];
  const clock = () => performance.now();

  const evaluate = async (name: string, config: PipelineConfig, extraSeconds = 0) => {
    progress(`fitting ${name}`);
    const started = clock();
    const model = await fitPipeline(log, types, size, train, config, options.threads, options.seed);
    const seconds = (clock() - started) / 1000 + extraSeconds;
    const { metrics } = evaluateOffline(
      new Recommender(model, types),
      training,
      relevant,
      options.k,
      counts,
      fallback,
    );
    result.push({ name, pipeline: describePipeline(config), metrics, seconds });
  };

  for (const model of options.models ??
    (['popularity', 'item-knn', 'rp3beta', 'ease', 'ials', 'bpr'] as const)) {
    if (model === 'bpr') {
      progress('fitting BPR');
      result.push(bprRow(log, types, size, train, relevant, counts, options.k));
      continue;
    }
    await evaluate(NAMES[model], singleComponent(model));
  }

  let search: BenchmarkResult['search'];
  let chosen: PipelineConfig | undefined;
  if (options.pipeline !== undefined) {
    chosen = options.pipeline;
    await evaluate('pinned pipeline', chosen);
  } else if (options.defaultPipeline !== false) {
    progress(`searching (budget ${options.budgetSeconds} s)`);
    search = await choosePipeline(log, types, size, train, {
      budgetSeconds: options.budgetSeconds,
      ...(options.requestBudgetMs === undefined
        ? {}
        : { requestBudgetMs: options.requestBudgetMs }),
      threads: options.threads,
      k: options.k,
      validation: validationProtocol(protocol),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    chosen = search.config;
    await evaluate('default pipeline', chosen, search.seconds);
  }

  return {
    protocol: describeProtocol(protocol),
    k: options.k,
    users: size.users,
    items: size.items,
    interactions: rows.length,
    trainInteractions: train.length,
    testInteractions: test.length,
    testUsers: relevant.size,
    rows: result,
    ...(search === undefined ? {} : { search }),
    ...(chosen === undefined ? {} : { chosen }),
  };
}

/** The search's validation split mirrors the test protocol, with another seed. */
export function validationProtocol(protocol: SplitProtocol): SplitProtocol {
  return protocol.kind === 'random' ? { ...protocol, seed: protocol.seed + 1 } : protocol;
}

/**
 * BPR is not a pipeline model (it has no fold-in, so it cannot serve a history it was
 * not trained on); it is in the table as a reference, scored with its trained vectors.
 */
function bprRow(
  log: InteractionLog,
  types: InteractionTypes,
  size: { readonly users: number; readonly items: number },
  train: Int32Array,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  counts: Float64Array,
  k: number,
): BenchmarkRow {
  const started = performance.now();
  const matrix = positivePart(viewMatrix(log, types, 'presence', size, train));
  const model = fitBpr(matrix, {
    factors: 64,
    learningRate: 0.05,
    regularization: 0.001,
    iterations: 100,
    seed: 1,
  });
  const seconds = (performance.now() - started) / 1000;
  const seenMatrix = viewMatrix(log, types, 'presence', size, train);
  const lists = recommendForUsers(
    relevant.keys(),
    seenMatrix,
    (user) => scoreItems(model, userVector(model, user)),
    k,
  );
  const ranking = evaluateRanking(lists, relevant, k);
  let trainItems = 0;
  for (const count of counts) if (count > 0) trainItems++;
  return {
    name: 'BPR',
    pipeline: 'bpr[presence factors=64 learningRate=0.05 regularization=0.001 iterations=100]',
    metrics: {
      ...ranking,
      k,
      coverage: catalogCoverage(lists, trainItems, k),
      novelty: novelty(lists, counts, k),
      fallbackUsers: 0,
    },
    seconds,
  };
}
