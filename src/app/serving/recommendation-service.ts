import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import type { StoredEvent } from '../../core/events/envelope.js';
import { EventTypes, type InteractionRecordedPayload } from '../../core/events/event-types.js';
import type { Item } from '../../core/domain/item.js';
import {
  DEFAULT_SCENARIO,
  type Diversity,
  type Scenario,
  type ScenarioConfig,
} from '../../core/domain/scenario.js';
import { type ContentModel, fitContent } from '../../core/models/content.js';
import type { HistoryReader } from '../../core/recommend/recommender.js';
import type { ReadModels } from '../../core/projections/read-models.js';
import { type RuleBindings, RuleCache, type RuleValue } from '../../core/rules/index.js';
import { CategoryIndex } from '../../core/serving/category-index.js';
import { FEATURE_COUNT } from '../../core/serving/features.js';
import { ItemActivity } from '../../core/serving/item-activity.js';
import { MaterializedLists } from '../../core/serving/materialized-lists.js';
import {
  type ItemExplanation,
  type PipelineRequest,
  type ResolvedScenario,
  type ServingWorld,
  ServingPipeline,
  type StageTracer,
  type Subject,
} from '../../core/serving/pipeline.js';
import { ImpressionRows, LogisticRanker } from '../../core/serving/ranker.js';
import { DEFAULT_STAGE_BUDGETS } from '../../core/serving/scenario.js';
import { KindredError } from '../../errors/catalog.js';
import { telemetry } from '../../observability/metrics.js';
import type { Engine } from '../engine.js';
import type { ModelServing } from '../training/model-serving.js';
import { ImpressionWriter } from './impression-writer.js';
import { RecommendationLog } from './recommendation-log.js';
import { excludedItems } from './excluded-items.js';
import { runInSlices } from '../run-in-slices.js';
import type { Recommender } from '../../core/recommend/recommender.js';

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

/** Per-scenario counts since start: lists served, items shown, attributed interactions. */
export interface ScenarioStats {
  lists: number;
  items: number;
  attributed: Record<string, number>;
}

/** The built-in placement of `GET /v1/trending`. */
const TRENDING_SCENARIO: Scenario = {
  name: 'trending',
  version: 0,
  updatedAt: 0,
  config: { sources: [{ name: 'trending', budget: 100, weight: 1 }], fallback: [] },
};

/** The catalog's categories are re-indexed at most this often while items change. */
const CATEGORY_REFRESH_MS = 1000;
const CONTENT_REFRESH_MS = 60_000;

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
 * What rules may read of a request, built only if a rule reads it: most filters read
 * item attributes alone, and the user's attributes and the context cost an object each.
 */
class LazyBindings implements RuleBindings {
  private userValue: Readonly<Record<string, RuleValue>> | undefined | null = null;
  private contextValue: Readonly<Record<string, RuleValue>> | null = null;

  constructor(
    private readonly makeUser: () => Readonly<Record<string, RuleValue>> | undefined,
    private readonly makeContext: () => Readonly<Record<string, RuleValue>>,
    readonly now: number,
  ) {}

  get user(): Readonly<Record<string, RuleValue>> | undefined {
    if (this.userValue === null) this.userValue = this.makeUser();
    return this.userValue;
  }

  get context(): Readonly<Record<string, RuleValue>> {
    this.contextValue ??= this.makeContext();
    return this.contextValue;
  }
}

/**
 * Recommendations through the four-stage pipeline: picks the scenario, compiles its
 * rules (cached by text), runs the pipeline over the live read models and the active
 * model, remembers the list (paging on without repeats), logs the impression, and
 * learns from the interactions later attributed to it (click-through features and the
 * ranker's training rows).
 */
export class RecommendationService {
  private readonly pipeline: ServingPipeline;
  private readonly rules = new RuleCache();
  private readonly activity = new ItemActivity();
  private readonly rows: ImpressionRows;
  private readonly lists: RecommendationLog;
  private readonly impressions: ImpressionWriter;
  private readonly stats = new Map<string, ScenarioStats>();
  private readonly resolved = new Map<string, ResolvedScenario>();
  private readonly world: ServingWorld;
  private readonly materialized: MaterializedLists | undefined;
  private categories: CategoryIndex;
  private categoryTimer: NodeJS.Timeout | undefined;
  private categoriesBuiltAt = 0;
  private content: ContentModel | undefined;
  private contentBuiltAt = Number.NEGATIVE_INFINITY;
  private contentDirty = false;
  private contentPending = false;
  private ranker: LogisticRanker | undefined;
  private rowsAtLastFit = 0;
  private fitting = false;
  private unsubscribe: (() => void) | undefined;
  private readonly sessionType: number;
  /** Lists given feature rows in the current second (see `serving.rankerListsPerSecond`). */
  private rowedLists = 0;
  private rowedSecond = 0;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly models: ModelServing,
    private readonly config: KindredConfig,
    private readonly logger: Logger,
  ) {
    const readModels = engine.readModels;
    const settings = config.serving;
    this.categories = CategoryIndex.build(readModels.catalog);
    this.pipeline = new ServingPipeline(readModels.catalog.capacity, this.categories, {
      maxCandidates: settings.maxCandidates,
    });
    this.rows = new ImpressionRows(settings.rankerRows, FEATURE_COUNT);
    this.lists = new RecommendationLog(
      settings.servedListCapacity,
      settings.servedListTtlSeconds * 1000,
    );
    this.impressions = new ImpressionWriter(engine.writes, settings.impressionFlushMs, logger);
    this.sessionType = readModels.interactionTypes.indexOf('click') ?? 0;
    const keepsUsers = settings.materializedDepth > 0 && settings.materializedUsers > 0;
    this.materialized =
      keepsUsers || settings.categoryLists > 0
        ? new MaterializedLists({
            // Depth 0: unfiltered requests go to the model every time.
            depth: keepsUsers ? settings.materializedDepth : 0,
            capacity: keepsUsers ? settings.materializedUsers : 0,
            categories: { depth: settings.categoryListDepth, capacity: settings.categoryLists },
            counters: {
              users: telemetry.cache('kept-lists'),
              categories: telemetry.cache('category-lists'),
            },
          })
        : undefined;
    this.world = this.buildWorld(readModels);
    readModels.scenarios.onChange((name) => this.resolved.delete(name));
    models.onWarmed((version, recommender) => this.warmCategoryLists(version, recommender));
  }

  /**
   * Ranks users' lists within each category ahead, a few ms at a time between requests,
   * once a model's category indexes and users' vectors are ready; a swap stops it.
   */
  private warmCategoryLists(version: string, recommender: Recommender): void {
    const materialized = this.materialized;
    const categories = recommender.partitionNames;
    if (materialized === undefined || categories.length === 0 || this.stopped) return;
    const readModels = this.engine.readModels;
    materialized.use(recommender);
    const started = Date.now();
    const current = (): boolean => !this.stopped && this.models.activeRecommender === recommender;
    void runInSlices(
      materialized.warm(readModels.histories, readModels.users.ids.size, categories),
      // Optional: a narrowed request ranks its own list when none is kept yet.
      { keepGoing: current, task: 'category-lists', quietMs: 20 },
    ).then(
      (lists) => {
        if (lists === undefined || !current()) return;
        this.logger.info(
          { version, lists, categories: categories.length, ms: Date.now() - started },
          'category lists ranked ahead',
        );
      },
      (error: unknown) =>
        this.logger.warn({ err: error, version }, 'ranking category lists ahead failed'),
    );
  }

  start(): void {
    this.unsubscribe = this.engine.readModels.onApplied((events) => this.onApplied(events));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.categoryTimer !== undefined) clearTimeout(this.categoryTimer);
    this.categoryTimer = undefined;
    await this.impressions.flush();
  }

  /** Writes the queued impressions now (tests; shutdown). */
  flushImpressions(): Promise<void> {
    return this.impressions.flush();
  }

  scenarioStats(name: string): ScenarioStats {
    return this.stats.get(name) ?? { lists: 0, items: 0, attributed: {} };
  }

  /** The ranker's state: rows logged, clicks among them, whether it is trained. */
  rankerStatus(): { impressions: number; clicks: number; trained: boolean } {
    return { impressions: this.rows.count, clicks: this.rows.clicks, trained: !!this.ranker };
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
    const scenario = this.resolve(this.scenarioNamed(DEFAULT_SCENARIO), undefined);
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
    let continued = undefined as ReturnType<RecommendationLog['get']>;
    if (params.recommendationId !== undefined) {
      continued = this.lists.get(params.recommendationId);
      if (continued === undefined || continued.subject !== subjectKey)
        throw new KindredError(
          'RECOMMENDATION_NOT_FOUND',
          `no recommendation "${params.recommendationId}" for this ${subjectKey.split(':')[0]} (unknown or expired)`,
          { recommendationId: params.recommendationId },
        );
    }
    const scenario =
      fixed ?? this.scenarioNamed(continued?.scenario ?? params.scenario ?? DEFAULT_SCENARIO);
    const resolved = this.resolve(scenario, params.diversity);
    if (
      resolved.sources.some((source) => source.name === 'content') ||
      resolved.fallback.includes('content')
    )
      this.ensureContent();
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
      ? this.predicates(
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
      pageFeatures: this.takeRowBudget(),
      trace,
    };
    if (exclude !== undefined) request.exclude = exclude;
    if (predicates.filter !== undefined) request.filter = predicates.filter;
    if (predicates.categories !== undefined) request.categories = predicates.categories;
    if (predicates.boost !== undefined) request.boost = predicates.boost;
    if (predicates.explainBoost !== undefined) request.explainBoost = predicates.explainBoost;
    if (params.exact === true) request.exact = true;
    if (this.ranker !== undefined) request.ranker = this.ranker;
    const result = this.pipeline.run(this.world, request);
    for (const reason of result.degraded) telemetry.servingDegraded(reason.split(':')[0]!);

    const ids = models.catalog.ids;
    const items: RecommendedItem[] = [];
    const shown: string[] = [];
    const now = Date.now();
    const slot = continued?.slot ?? this.lists.add(scenario.name, subjectKey);
    const id = continued?.id ?? this.lists.idOf(slot);
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
      this.activity.impression(item, now / 1000);
      this.lists.append(
        slot,
        item,
        Number.isNaN(result.features[position * FEATURE_COUNT]!)
          ? -1
          : this.rows.add(result.features, position * FEATURE_COUNT),
      );
    }
    const stats = this.statsOf(scenario.name);
    stats.lists++;
    stats.items += shown.length;
    this.impressions.add({
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

  /** Whether this list's items get training rows, within the per-second budget. */
  private takeRowBudget(): boolean {
    const second = Math.floor(performance.now() / 1000);
    if (second !== this.rowedSecond) {
      this.rowedSecond = second;
      this.rowedLists = 0;
    }
    return this.rowedLists++ < this.config.serving.rankerListsPerSecond;
  }

  private scenarioNamed(name: string): Scenario {
    const scenario = this.engine.readModels.scenarios.get(name);
    if (scenario === undefined)
      throw new KindredError('SCENARIO_NOT_FOUND', `no scenario "${name}"`, { scenario: name });
    return scenario;
  }

  private predicates(
    config: ScenarioConfig,
    params: RecommendParams,
    bindings: RuleBindings,
  ): {
    filter?: (item: Item) => boolean;
    categories?: readonly string[];
    boost?: (item: Item) => number;
    explainBoost?: (item: Item) => readonly { rule: string; factor: number }[];
  } {
    // Plain loops: this runs on every request with a filter.
    const filters: ((item: Item) => boolean)[] = [];
    const categories: string[] = [];
    for (const source of [config.filter, params.filter]) {
      if (source === undefined || source.trim() === '') continue;
      const filter = this.rules.filter(source);
      filters.push(filter.bind(bindings));
      for (const category of filter.requiredCategories) categories.push(category);
    }
    const boostRules: ReturnType<RuleCache['boosts']>[] = [];
    const boosts: ((item: Item) => number)[] = [];
    for (const source of [config.boost, params.boost]) {
      if (source === undefined || source.trim() === '') continue;
      const rule = this.rules.boosts(source);
      boostRules.push(rule);
      boosts.push(rule.bind(bindings));
    }
    const out: ReturnType<RecommendationService['predicates']> = {};
    if (categories.length > 0) out.categories = categories;
    if (filters.length === 1) out.filter = filters[0]!;
    else if (filters.length === 2) {
      const [a, b] = filters as [(item: Item) => boolean, (item: Item) => boolean];
      out.filter = (item) => a(item) && b(item);
    }
    if (boosts.length > 0) {
      out.boost = (item) => {
        let factor = 1;
        for (const boost of boosts) factor *= boost(item);
        return factor;
      };
      out.explainBoost = (item) => boostRules.flatMap((rule) => rule.explain(item, bindings));
    }
    return out;
  }

  /** The scenario with names resolved to indexes; cached per version until it changes. */
  private resolve(scenario: Scenario, diversity: Diversity | undefined): ResolvedScenario {
    let resolved = this.resolved.get(scenario.name);
    if (resolved === undefined || resolved.version !== scenario.version) {
      resolved = resolveScenario(scenario, this.engine.readModels, this.config);
      this.resolved.set(scenario.name, resolved);
    }
    return diversity === undefined ? resolved : { ...resolved, diversity };
  }

  private statsOf(name: string): ScenarioStats {
    let stats = this.stats.get(name);
    if (stats === undefined) {
      stats = { lists: 0, items: 0, attributed: {} };
      this.stats.set(name, stats);
    }
    return stats;
  }

  /** How the kept per-user lists are used (metrics, tests). */
  materializedStats(): ReturnType<MaterializedLists['stats']> | undefined {
    return this.materialized?.stats();
  }

  private buildWorld(readModels: ReadModels): ServingWorld {
    const models = this.models;
    const materialized = this.materialized;
    const content = (): ContentModel | undefined => this.content;
    const categories = (): CategoryIndex => this.categories;
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
        return content();
      },
      get categories() {
        return categories();
      },
      gate: models.blockedItems,
      catalog: readModels.catalog,
      activity: this.activity,
      totalInteractions: (item) => readModels.itemCounters.total(item),
      lastInteractionAt: (item) => readModels.itemCounters.lastInteractionAt(item),
    };
  }

  /**
   * The category index follows catalog changes off the request path: rebuilt on a timer
   * after item events, at most once per CATEGORY_REFRESH_MS. Hidden, unavailable and
   * deleted items never wait for it: the gate reads the live catalog.
   */
  private scheduleCategoryRebuild(): void {
    if (this.categoryTimer !== undefined) return;
    const wait = Math.max(0, CATEGORY_REFRESH_MS - (Date.now() - this.categoriesBuiltAt));
    this.categoryTimer = setTimeout(() => {
      this.categoryTimer = undefined;
      this.categories = CategoryIndex.build(this.engine.readModels.catalog);
      this.pipeline.useCategories(this.categories);
      this.categoriesBuiltAt = Date.now();
    }, wait).unref();
  }

  /**
   * The content model is fitted on demand (a scenario uses the `content` source), off the
   * request path: the source proposes nothing until it is ready. Refitted when the
   * catalog changed, at most once per CONTENT_REFRESH_MS.
   */
  private ensureContent(): void {
    const now = Date.now();
    if (this.contentPending) return;
    if (
      this.content !== undefined &&
      (!this.contentDirty || now - this.contentBuiltAt < CONTENT_REFRESH_MS)
    )
      return;
    this.contentPending = true;
    setImmediate(() => {
      try {
        this.contentDirty = false;
        const catalog = this.engine.readModels.catalog;
        const items = Array.from({ length: catalog.capacity }, (_, index) => catalog.at(index));
        this.content = fitContent(
          items.map((item) =>
            item === undefined
              ? undefined
              : {
                  title: item.title,
                  categories: item.categories,
                  attributes: item.attributes as Record<string, string | number | boolean>,
                },
          ),
        );
        this.contentBuiltAt = Date.now();
      } catch (error) {
        this.logger.warn({ err: error }, 'content model not fitted; the content source is off');
      } finally {
        this.contentPending = false;
      }
    });
  }

  private onApplied(events: readonly StoredEvent[]): void {
    const models = this.engine.readModels;
    let labelled = false;
    for (const event of events) {
      this.forgetListOf(event);
      if (event.type === EventTypes.interactionRecorded.type) {
        const payload = event.payload as InteractionRecordedPayload;
        const item = models.catalog.ids.indexOf(payload.itemId);
        const type = models.interactionTypes.indexOf(payload.type);
        if (item === undefined || type === undefined) continue;
        const time = event.occurredAt / 1000;
        this.activity.interaction(item, time);
        const recommendationId = payload.context?.recommendationId;
        if (recommendationId === undefined) continue;
        const list = this.lists.peek(recommendationId);
        if (list === undefined) continue;
        const stats = this.statsOf(list.scenario);
        stats.attributed[payload.type] = (stats.attributed[payload.type] ?? 0) + 1;
        const row = list.rowOf(item);
        if (row >= 0 && models.interactionTypes.weights[type]! > 0) {
          this.activity.click(item, time);
          labelled = this.rows.label(row) || labelled;
        }
      } else if (
        event.type === EventTypes.itemUpserted.type ||
        event.type === EventTypes.itemPatched.type ||
        event.type === EventTypes.itemDeleted.type
      ) {
        this.scheduleCategoryRebuild();
        this.contentDirty = true;
      }
    }
    if (labelled) this.maybeFitRanker();
  }

  /** An event about a user (an interaction, a deletion) drops their kept list. */
  private forgetListOf(event: StoredEvent): void {
    if (this.materialized === undefined) return;
    const payload = event.payload as { userId?: unknown; id?: unknown };
    let userId: unknown;
    if (event.type === EventTypes.interactionRecorded.type) userId = payload.userId;
    else if (
      event.type === EventTypes.userDeleted.type ||
      event.type === EventTypes.userPatched.type
    )
      userId = payload.id;
    else if (event.type === EventTypes.userUpserted.type)
      userId = (payload as { user?: { id?: unknown } }).user?.id;
    if (typeof userId !== 'string') return;
    const user = this.engine.readModels.users.ids.indexOf(userId);
    if (user !== undefined) this.materialized.invalidate(user);
  }

  /** Refits the ranker off the request path once enough impressions and clicks are logged. */
  private maybeFitRanker(): void {
    const { rankerMinImpressions, rankerMinClicks } = this.config.serving;
    if (
      this.fitting ||
      this.rows.count < rankerMinImpressions ||
      this.rows.clicks < rankerMinClicks
    )
      return;
    if (this.ranker !== undefined && this.rows.added - this.rowsAtLastFit < this.rows.count / 10)
      return;
    this.fitting = true;
    setImmediate(() => {
      try {
        this.rowsAtLastFit = this.rows.added;
        this.ranker = LogisticRanker.fit(this.rows.training());
        this.logger.info(
          { impressions: this.rows.count, clicks: this.rows.clicks },
          'ranker trained on logged impressions',
        );
      } catch (error) {
        this.logger.warn({ err: error }, 'ranker training failed; the blend keeps scoring');
      } finally {
        this.fitting = false;
      }
    });
  }

  /** Fits the ranker now if there is enough data (tests and operators). */
  fitRankerNow(): boolean {
    const { rankerMinImpressions, rankerMinClicks } = this.config.serving;
    if (this.rows.count < rankerMinImpressions || this.rows.clicks < rankerMinClicks) return false;
    this.rowsAtLastFit = this.rows.added;
    this.ranker = LogisticRanker.fit(this.rows.training());
    return true;
  }
}

/** A scenario's names turned into what the pipeline reads. */
export function resolveScenario(
  scenario: Scenario,
  readModels: ReadModels,
  config: KindredConfig,
): ResolvedScenario {
  const types = readModels.interactionTypes;
  const { config: settings } = scenario;
  const seenTypes = new Uint8Array(types.size);
  if (settings.seenTypes === undefined) seenTypes.set(types.seenMask);
  else
    for (const name of settings.seenTypes) {
      const index = types.indexOf(name);
      if (index !== undefined) seenTypes[index] = 1;
    }
  const negativeTypes = new Uint8Array(types.size);
  if (settings.excludeNegative !== false)
    for (let t = 0; t < types.size; t++) negativeTypes[t] = types.weights[t]! < 0 ? 1 : 0;
  const pinned: { item: number; position: number }[] = [];
  for (const pin of settings.pinned ?? []) {
    const item = readModels.catalog.ids.indexOf(pin.id);
    if (item !== undefined) pinned.push({ item, position: pin.position });
  }
  void config;
  return {
    name: scenario.name,
    version: scenario.version,
    sources: settings.sources,
    fallback: settings.fallback,
    seenTypes,
    negativeTypes,
    diversity: settings.diversity ?? { mode: 'none' },
    exploration: settings.exploration ?? 0,
    pinned,
    ranker: settings.ranker ?? false,
    budgets: { ...DEFAULT_STAGE_BUDGETS, ...settings.budgets },
  };
}
