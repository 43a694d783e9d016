// The request path of recommendations: scenario, rules, the four-stage pipeline over the
// live read models and the active model, and the answer; its upkeep lives beside it.
import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import type { HistoryReader } from '../../core/recommend/recommender.js';
import { RuleCache, type RuleValue } from '../../core/rules/index.js';
import { FEATURE_COUNT } from '../../core/serving/features.js';
import type { MaterializedLists } from '../../core/serving/materialized-lists.js';
import {
  type ItemExplanation,
  type PipelineRequest,
  type ServingWorld,
  ServingPipeline,
  type StageTracer,
  type Subject,
} from '../../core/serving/serving-pipeline.js';
import {
  DEFAULT_SCENARIO,
  type Diversity,
  type Scenario,
  type ScenarioConfig,
} from '../../core/domain/scenario.js';
import { KindredError } from '../../errors/catalog.js';
import { telemetry } from '../../observability/metrics.js';
import type { Engine } from '../engine.js';
import type { ModelServing } from './model-serving.js';
import { excludedItems } from './excluded-items.js';
import { FeedbackLoop, type ScenarioStats } from './feedback-loop.js';
import { forgetChangedUsers, keptListsFrom, warmCategoryLists } from './kept-lists.js';
import { LazyBindings, requestPredicates } from './request-rules.js';
import { ScenarioResolver } from './scenario-resolution.js';
import { ServingIndexes } from './serving-indexes.js';

export type { ScenarioStats } from './feedback-loop.js';

/** A request's parameters, from the query string or the JSON body. */
export interface RecommendParams {
  readonly k: number;
  readonly offset?: number;
  readonly scenario?: string;
  readonly filter?: string;
  readonly boost?: string;
  readonly exclude?: readonly string[];
  readonly diversity?: Diversity;
  readonly explain?: boolean;
  /** Rank every item rather than search the approximate index. */
  readonly exact?: boolean;
  readonly recommendationId?: string;
  /** Extra values rules can read as `context.<name>`. */
  readonly context?: Readonly<Record<string, RuleValue>>;
}

export interface RecommendedItem {
  readonly id: string;
  readonly score: number;
  readonly explain?: ItemExplanation;
}

export interface RecommendationAnswer {
  readonly recommendationId: string;
  readonly items: RecommendedItem[];
  readonly scenario: string;
  readonly model: string | null;
  readonly scorer: 'blend' | 'ranker';
  readonly degraded?: true;
  readonly reasons?: string[];
}

/** The built-in placement of `GET /v1/trending`. */
const TRENDING_SCENARIO: Scenario = {
  name: 'trending',
  version: 0,
  updatedAt: 0,
  config: { sources: [{ name: 'trending', budget: 100, weight: 1 }], fallback: [] },
};

/** Reads an anonymous session's recent items (newest first) as clicks. */
class SessionHistory implements HistoryReader {
  constructor(
    private readonly items: readonly number[],
    private readonly type: number,
  ) {}
  readRecent(_user: number, items: Int32Array, types: Uint8Array, values: Float64Array): number {
    const count = Math.min(this.items.length, items.length);
    for (let i = 0; i < count; i++) {
      items[i] = this.items[i]!;
      types[i] = this.type;
      values[i] = Number.NaN;
    }
    return count;
  }
}

/**
 * The request path of recommendations: picks the scenario, compiles its rules (cached by
 * text), runs the four-stage pipeline over the live read models and the active model, and
 * hands what it served to the feedback loop. Its parts keep up by themselves: the
 * feedback loop (lists, impressions, the ranker), the serving indexes (categories,
 * content) and the kept lists (ranked ahead, dropped when a user changes).
 */
export class RecommendationService {
  private readonly pipeline: ServingPipeline;
  private readonly rules = new RuleCache();
  private readonly feedback: FeedbackLoop;
  private readonly indexes: ServingIndexes;
  private readonly scenarios: ScenarioResolver;
  private readonly world: ServingWorld;
  private readonly materialized: MaterializedLists | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly sessionType: number;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly models: ModelServing,
    private readonly config: KindredConfig,
    private readonly logger: Logger,
  ) {
    const readModels = engine.readModels;
    this.indexes = new ServingIndexes(readModels.catalog, logger, (categories) =>
      this.pipeline.useCategories(categories),
    );
    this.pipeline = new ServingPipeline(readModels.catalog.capacity, this.indexes.categories, {
      maxCandidates: config.serving.maxCandidates,
    });
    this.feedback = new FeedbackLoop(readModels, engine.writes, config, logger);
    this.scenarios = new ScenarioResolver(readModels, config);
    this.sessionType = readModels.interactionTypes.indexOf('click') ?? 0;
    this.materialized = keptListsFrom(config);
    this.world = this.buildWorld();
    models.onWarmed((version, recommender) => {
      const lists = this.materialized;
      if (lists === undefined || this.stopped) return;
      const current = (): boolean => !this.stopped && this.models.activeRecommender === recommender;
      warmCategoryLists(lists, recommender, readModels, current, this.logger, version);
    });
  }

  start(): void {
    const readModels = this.engine.readModels;
    this.unsubscribe = readModels.onApplied((events) => {
      if (this.materialized !== undefined)
        forgetChangedUsers(this.materialized, readModels, events);
      this.feedback.onApplied(events);
      this.indexes.onApplied(events);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.indexes.stop();
    await this.feedback.flushImpressions();
  }

  /** Writes the queued impressions now (tests; shutdown). */
  flushImpressions(): Promise<void> {
    return this.feedback.flushImpressions();
  }

  scenarioStats(name: string): ScenarioStats {
    return this.feedback.scenarioStats(name);
  }

  /** The ranker's state: rows logged, clicks among them, whether it is trained. */
  rankerStatus(): { impressions: number; clicks: number; trained: boolean } {
    return this.feedback.rankerStatus();
  }

  /** Fits the ranker now if there is enough data (tests and operators). */
  fitRankerNow(): boolean {
    return this.feedback.fitRankerNow();
  }

  /** How the kept per-user lists are used (metrics, tests). */
  materializedStats(): ReturnType<MaterializedLists['stats']> | undefined {
    return this.materialized?.stats();
  }

  forUser(userId: string, params: RecommendParams, trace: StageTracer): RecommendationAnswer {
    const models = this.engine.readModels;
    const user = models.users.ids.indexOf(userId);
    const known = user !== undefined && models.users.at(user) !== undefined;
    const subject: Subject = known
      ? { kind: 'user', user, reader: models.histories }
      : { kind: 'none' };
    return this.serve(subject, `user:${userId}`, params, trace, {
      // Built only when a rule needs it.
      user: () => ({
        id: userId,
        ...((known ? models.users.at(user)?.attributes : undefined) as
          | Record<string, RuleValue>
          | undefined),
      }),
      userId,
    });
  }

  similar(itemId: string, params: RecommendParams, trace: StageTracer): RecommendationAnswer {
    const models = this.engine.readModels;
    const item = models.catalog.ids.indexOf(itemId);
    if (item === undefined || models.catalog.at(item) === undefined)
      throw new KindredError('ITEM_NOT_FOUND', `no item "${itemId}"`, { id: itemId });
    if (this.models.activeRecommender === undefined)
      throw new KindredError('NO_MODEL_TRAINED', 'no model has been trained yet', {});
    return this.serve({ kind: 'item', item }, `item:${itemId}`, params, trace, {});
  }

  forSession(
    itemIds: readonly string[],
    params: RecommendParams,
    trace: StageTracer,
  ): RecommendationAnswer {
    const ids = this.engine.readModels.catalog.ids;
    const items: number[] = [];
    for (const id of itemIds) {
      const index = ids.indexOf(id);
      if (index !== undefined) items.push(index);
    }
    const subject: Subject =
      items.length > 0
        ? { kind: 'session', reader: new SessionHistory(items, this.sessionType) }
        : { kind: 'none' };
    return this.serve(subject, 'session', params, trace, {});
  }

  /**
   * Runs the default scenario's pipeline for up to `count` users spread over the user
   * base, recording nothing (no list, no impression), so that the code every request
   * runs is compiled and its data paged in before the first request arrives: a server
   * answers its first requests as fast as its later ones.
   */
  *warmUp(count: number): Generator<void, number, void> {
    const models = this.engine.readModels;
    const users = models.users.ids.size;
    if (users === 0 || this.models.activeRecommender === undefined) return 0;
    const scenario = this.scenarios.resolve(this.scenarios.named(DEFAULT_SCENARIO), undefined);
    const trace: StageTracer = { stage: (_name, fn) => fn() };
    const step = Math.max(1, Math.floor(users / count));
    let ran = 0;
    for (let user = 0; user < users && ran < count; user += step) {
      if (models.users.at(user) === undefined) continue;
      const result = this.pipeline.run(this.world, {
        subject: { kind: 'user', user, reader: models.histories },
        scenario,
        k: this.config.recommend.defaultK,
        offset: 0,
        explain: false,
        now: Date.now() / 1000,
        seed: ran,
        pageFeatures: false,
        trace,
      });
      for (let position = 0; position < result.items.length; position++)
        models.catalog.ids.idOf(result.items[position]!);
      ran++;
      yield;
    }
    return ran;
  }

  trending(params: RecommendParams, trace: StageTracer): RecommendationAnswer {
    return this.serve({ kind: 'none' }, 'trending', params, trace, {}, TRENDING_SCENARIO);
  }

  /** Checks a scenario's rules compile (400 INVALID_RULE otherwise) before it is saved. */
  validateRules(config: ScenarioConfig): void {
    if (config.filter !== undefined) this.rules.filter(config.filter);
    if (config.boost !== undefined) this.rules.boosts(config.boost);
  }

  private serve(
    subject: Subject,
    subjectKey: string,
    params: RecommendParams,
    trace: StageTracer,
    who: { user?: () => Record<string, RuleValue>; userId?: string },
    fixed?: Scenario,
  ): RecommendationAnswer {
    const models = this.engine.readModels;
    let continued = undefined as ReturnType<FeedbackLoop['servedList']>;
    if (params.recommendationId !== undefined) {
      continued = this.feedback.servedList(params.recommendationId);
      if (continued === undefined || continued.subject !== subjectKey)
        throw new KindredError(
          'RECOMMENDATION_NOT_FOUND',
          `no recommendation "${params.recommendationId}" for this ${subjectKey.split(':')[0]} (unknown or expired)`,
          { recommendationId: params.recommendationId },
        );
    }
    const scenario =
      fixed ?? this.scenarios.named(continued?.scenario ?? params.scenario ?? DEFAULT_SCENARIO);
    const resolved = this.scenarios.resolve(scenario, params.diversity);
    if (
      resolved.sources.some((source) => source.name === 'content') ||
      resolved.fallback.includes('content')
    )
      this.indexes.ensureContent();
    const exclude =
      params.exclude !== undefined || continued !== undefined
        ? excludedItems(models.catalog.ids, params.exclude ?? [], continued?.served() ?? [])
        : undefined;
    const hasRules =
      scenario.config.filter !== undefined ||
      scenario.config.boost !== undefined ||
      params.filter !== undefined ||
      params.boost !== undefined;
    const predicates = hasRules
      ? requestPredicates(
          this.rules,
          scenario.config,
          params,
          new LazyBindings(
            () => who.user?.(),
            () => ({
              ...params.context,
              exclude: [...(params.exclude ?? [])],
              scenario: scenario.name,
            }),
            Date.now() / 1000,
          ),
        )
      : {};
    // Optional fields set one by one: a spread per field cost a temporary object each.
    const request: { -readonly [K in keyof PipelineRequest]: PipelineRequest[K] } = {
      subject,
      scenario: resolved,
      k: params.k,
      offset: continued === undefined ? (params.offset ?? 0) : 0,
      explain: params.explain ?? false,
      now: Date.now() / 1000,
      seed: (Math.random() * 2 ** 32) >>> 0,
      pageFeatures: this.feedback.takeRowBudget(),
      trace,
    };
    if (exclude !== undefined) request.exclude = exclude;
    if (predicates.filter !== undefined) request.filter = predicates.filter;
    if (predicates.categories !== undefined) request.categories = predicates.categories;
    if (predicates.boost !== undefined) request.boost = predicates.boost;
    if (predicates.explainBoost !== undefined) request.explainBoost = predicates.explainBoost;
    if (params.exact === true) request.exact = true;
    const ranker = this.feedback.ranker;
    if (ranker !== undefined) request.ranker = ranker;
    const result = this.pipeline.run(this.world, request);
    for (const reason of result.degraded) telemetry.servingDegraded(reason.split(':')[0]!);

    const ids = models.catalog.ids;
    const items: RecommendedItem[] = [];
    const shown: string[] = [];
    const now = Date.now();
    const slot = continued?.slot ?? this.feedback.openList(scenario.name, subjectKey);
    const id = continued?.id ?? this.feedback.listId(slot);
    const firstPosition = (params.offset ?? 0) + (continued?.size ?? 0);
    for (let position = 0; position < result.items.length; position++) {
      const item = result.items[position]!;
      const external = ids.idOf(item);
      if (external === null) continue;
      const explanation = result.explanations?.[position];
      items.push({
        id: external,
        score: result.scores[position]!,
        ...(explanation === undefined ? {} : { explain: explanation }),
      });
      shown.push(external);
      this.feedback.shown(slot, item, result.features, position * FEATURE_COUNT, now / 1000);
    }
    this.feedback.served(scenario.name, shown.length, {
      recommendationId: id,
      scenario: scenario.name,
      scenarioVersion: scenario.version,
      model: this.models.activeVersion,
      subject: subject.kind === 'none' ? (fixed ? 'trending' : 'user') : subject.kind,
      ...(who.userId === undefined ? {} : { userId: who.userId }),
      itemIds: shown,
      offset: firstPosition,
      servedAt: now,
    });
    return {
      recommendationId: id,
      items,
      scenario: scenario.name,
      model: this.models.activeVersion,
      scorer: result.scorer,
      ...(result.degraded.length > 0 ? { degraded: true as const, reasons: result.degraded } : {}),
    };
  }

  private buildWorld(): ServingWorld {
    const readModels = this.engine.readModels;
    const models = this.models;
    const materialized = this.materialized;
    const indexes = this.indexes;
    return {
      types: readModels.interactionTypes,
      get cf() {
        const active = models.activeRecommender;
        return active === undefined || materialized === undefined
          ? active
          : materialized.use(active);
      },
      get trending() {
        return models.trendingItems;
      },
      get content() {
        return indexes.content;
      },
      get categories() {
        return indexes.categories;
      },
      gate: models.blockedItems,
      catalog: readModels.catalog,
      activity: this.feedback.activity,
      totalInteractions: (item) => readModels.itemCounters.total(item),
      lastInteractionAt: (item) => readModels.itemCounters.lastInteractionAt(item),
    };
  }
}
