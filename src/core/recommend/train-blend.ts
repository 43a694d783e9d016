import type { InteractionTypes } from '../domain/interaction.js';
import { topK } from '../models/top-k.js';
import { trendingScores } from '../models/popularity.js';
import { type ComponentModel, fitComponent } from './components.js';
import {
  type InteractionLog,
  type InteractionView,
  viewMatrix,
  eventValue,
} from './interaction-views.js';
import type { CsrMatrix } from '../models/interaction-matrix.js';
import type { IalsThreads } from '../models/ials-threads.js';
import {
  LogHistories,
  type OfflineMetrics,
  type SplitProtocol,
  describeProtocol,
  evaluateOffline,
  itemCounts,
  relevantFromRows,
  sampleUsers,
  splitRows,
} from './offline.js';
import type { PipelineConfig } from './blend-config.js';
import { type PipelineModel, Recommender } from './recommender.js';
import { type ModelSearchOptions, type ModelSearchResult, searchPipeline } from './model-search.js';

export interface TrainingSize {
  readonly users: number;
  readonly items: number;
}

/** Fits every model of a pipeline on the given rows. */
export async function fitPipeline(
  log: InteractionLog,
  types: InteractionTypes,
  size: TrainingSize,
  rows: Int32Array,
  config: PipelineConfig,
  threads: IalsThreads,
  seed = 0,
): Promise<PipelineModel> {
  const matrices = new Map<InteractionView, CsrMatrix>();
  const context = {
    matrix: (view: InteractionView) => {
      let built = matrices.get(view);
      if (built === undefined)
        matrices.set(view, (built = viewMatrix(log, types, view, size, rows)));
      return built;
    },
    threads,
    seed,
  };
  const components: ComponentModel[] = [];
  for (const component of config.components)
    components.push(await fitComponent(component, context));
  return { config, itemCount: size.items, components };
}

export interface ChooseOptions extends Omit<ModelSearchOptions, 'threads'> {
  readonly threads: IalsThreads;
  /** How the search's validation rows are carved out of the training rows. */
  readonly validation: SplitProtocol;
}

/** Runs the automatic search on a validation split of `rows`. */
export async function choosePipeline(
  log: InteractionLog,
  types: InteractionTypes,
  size: TrainingSize,
  rows: Int32Array,
  options: ChooseOptions,
): Promise<ModelSearchResult & { readonly protocol: string }> {
  const result = await searchPipeline(log, types, size, rows, options.validation, options);
  return {
    ...result,
    protocol: `validated on the training rows only: user folds and a per-user holdout, each cut by a ${describeProtocol(options.validation)}`,
  };
}

/** Trending from the given rows: decayed sums of positive signals, newest events weighing most. */
export function trendingFromRows(
  log: InteractionLog,
  types: InteractionTypes,
  rows: Int32Array,
  itemCount: number,
  halfLifeSeconds: number,
): Float32Array {
  const items = new Int32Array(rows.length);
  const weights = new Float64Array(rows.length);
  const times = new Float64Array(rows.length);
  rows.forEach((row, position) => {
    items[position] = log.items[row]!;
    weights[position] = Math.max(0, eventValue(types, 'signal', log.types[row]!, log.values[row]!));
    times[position] = log.times[row]!;
  });
  if (rows.length === 0) return new Float32Array(itemCount);
  return trendingScores({ users: items, items, weights, timestamps: times }, itemCount, {
    halfLife: halfLifeSeconds,
  });
}

export interface HoldoutEvaluation {
  readonly protocol: string;
  readonly trainInteractions: number;
  readonly heldOutInteractions: number;
  readonly metrics: OfflineMetrics;
}

/**
 * Evaluates a fitted pipeline on held-out rows through the serving path: each user's
 * training rows are their history, seen items are excluded, users the pipeline cannot
 * personalize get trending (as serving would answer them).
 */
export function evaluateHoldout(
  model: PipelineModel,
  log: InteractionLog,
  types: InteractionTypes,
  size: TrainingSize,
  trainRows: Int32Array,
  testRows: Int32Array,
  k: number,
  protocol: string,
  trendingHalfLifeSeconds: number,
): HoldoutEvaluation {
  const training = new LogHistories(log, trainRows, size.users);
  const everyone = relevantFromRows(log, types, testRows, training);
  const relevant = sampledRelevant(everyone);
  const trending = trendingFromRows(log, types, trainRows, size.items, trendingHalfLifeSeconds);
  const recommender = new Recommender(model, types);
  const { metrics } = evaluateOffline(
    recommender,
    training,
    relevant,
    k,
    itemCounts(log, trainRows, size.items),
    (user, count) => trendingFor(trending, training, user, count, types),
  );
  return {
    protocol:
      relevant.size < everyone.size
        ? `${protocol}; measured on a seeded sample of ${relevant.size} of its ${everyone.size} users`
        : protocol,
    trainInteractions: trainRows.length,
    heldOutInteractions: testRows.length,
    metrics,
  };
}

/**
 * The reported metrics need a few thousand users, not every one: ranking 50,000 users over
 * 100,000 items took minutes of each training for a figure that moved in its third digit.
 */
const MAX_HOLDOUT_USERS = 5000;
const HOLDOUT_SAMPLE_SEED = 29;

function sampledRelevant(relevant: Map<number, Set<number>>): Map<number, Set<number>> {
  if (relevant.size <= MAX_HOLDOUT_USERS) return relevant;
  const kept = new Map<number, Set<number>>();
  for (const user of sampleUsers([...relevant.keys()], MAX_HOLDOUT_USERS, HOLDOUT_SAMPLE_SEED))
    kept.set(user, relevant.get(user)!);
  return kept;
}

function trendingFor(
  trending: Float32Array,
  training: LogHistories,
  user: number,
  k: number,
  types: InteractionTypes,
): Int32Array {
  const items = new Int32Array(10_000);
  const kinds = new Uint8Array(10_000);
  const values = new Float64Array(10_000);
  const count = training.readRecent(user, items, kinds, values);
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) if (types.seenMask[kinds[i]!] === 1) seen.add(items[i]!);
  return topK(trending, k, seen).indices;
}

export interface TrainRequest {
  readonly log: InteractionLog;
  readonly types: InteractionTypes;
  readonly size: TrainingSize;
  /** A pinned pipeline; without one the search chooses. */
  readonly pipeline?: PipelineConfig;
  readonly budgetSeconds: number;
  /** The search's request budget in ms (`ModelSearchOptions.requestBudgetMs`). */
  readonly requestBudgetMs?: number;
  readonly threads: IalsThreads;
  readonly k: number;
  readonly historyLimit?: number;
  /** The time-based holdout the reported metrics come from. */
  readonly holdout: SplitProtocol;
  /** How the search cuts its validation rows (default: as the holdout). */
  readonly validation?: SplitProtocol;
  readonly trendingHalfLifeSeconds: number;
  readonly seed?: number;
  readonly onProgress?: (stage: string, detail?: Record<string, unknown>) => void;
}

export interface TrainOutcome {
  readonly model: PipelineModel;
  readonly search?: ModelSearchResult & { readonly protocol: string };
  readonly evaluation?: HoldoutEvaluation;
  readonly interactions: number;
  readonly seconds: { readonly search: number; readonly evaluation: number; readonly fit: number };
}

/**
 * The training pipeline, I/O-free: carve a time-based holdout off the interactions;
 * choose the pipeline on the rest (the search carves its own validation split from it);
 * fit it there and measure it on the holdout; then fit it on everything, which is what
 * serves. Small data (no holdout users) skips the measurement.
 */
export async function trainPipeline(request: TrainRequest): Promise<TrainOutcome> {
  const { log, types, size } = request;
  const all = new Int32Array(log.users.length);
  let live = 0;
  for (let row = 0; row < log.users.length; row++) if (log.users[row]! >= 0) all[live++] = row;
  const rows = all.subarray(0, live);
  const clock = () => performance.now();
  const { train, test } = splitRows(log, rows, request.holdout);
  const canHold = test.length > 0 && train.length > 0;
  // A search that validates as the holdout does must not see the holdout's rows. One
  // that validates otherwise (the server's: a random split) chooses on every row, as
  // the pipeline that serves will be fitted on every row; the holdout then measures the
  // chosen pipeline fitted without its rows, but the choice was not blind to them.
  const searchRows =
    canHold && (request.validation === undefined || request.validation === request.holdout)
      ? train
      : rows;

  let started = clock();
  let search: TrainOutcome['search'];
  let config = request.pipeline;
  if (config === undefined) {
    request.onProgress?.('search', { budgetSeconds: request.budgetSeconds });
    search = await choosePipeline(log, types, size, searchRows, {
      budgetSeconds: request.budgetSeconds,
      ...(request.requestBudgetMs === undefined
        ? {}
        : { requestBudgetMs: request.requestBudgetMs }),
      threads: request.threads,
      k: request.k,
      validation: request.validation ?? request.holdout,
      ...(request.historyLimit === undefined ? {} : { historyLimit: request.historyLimit }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
    });
    config = search.config;
  }
  const searchSeconds = (clock() - started) / 1000;

  started = clock();
  let evaluation: HoldoutEvaluation | undefined;
  if (canHold) {
    request.onProgress?.('evaluate');
    const heldModel = await fitPipeline(
      log,
      types,
      size,
      train,
      config,
      request.threads,
      request.seed,
    );
    evaluation = evaluateHoldout(
      heldModel,
      log,
      types,
      size,
      train,
      test,
      request.k,
      describeProtocol(request.holdout),
      request.trendingHalfLifeSeconds,
    );
  }
  const evaluationSeconds = (clock() - started) / 1000;

  started = clock();
  request.onProgress?.('fit');
  const model = await fitPipeline(log, types, size, rows, config, request.threads, request.seed);
  return {
    model,
    ...(search === undefined ? {} : { search }),
    ...(evaluation === undefined ? {} : { evaluation }),
    interactions: rows.length,
    seconds: {
      search: searchSeconds,
      evaluation: evaluationSeconds,
      fit: (clock() - started) / 1000,
    },
  };
}
