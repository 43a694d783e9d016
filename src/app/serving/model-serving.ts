import type { Logger } from 'pino';
import type { StoredEvent } from '../../core/events/envelope.js';
import {
  EventTypes,
  type InteractionRecordedPayload,
  type ModelActivatedPayload,
  type ModelTrainedPayload,
} from '../../core/events/event-types.js';
import { newEventId } from '../../core/events/event-id.js';
import { buildIvfIndexInSlices } from '../../core/models/ivf.js';
import { buildPartitionsInSlices } from '../../core/models/ivf-partitions.js';
import { CategoryIndex } from '../../core/serving/category-index.js';
import type { IndexSet, Ranked } from '../../core/models/top-k.js';
import { decodeArtifact } from '../../core/recommend/artifact.js';
import { eventValue } from '../../core/recommend/interaction-views.js';
import { type HistoryReader, Recommender } from '../../core/recommend/recommender.js';
import { TrendingCounter } from '../../core/recommend/trending.js';
import type { ReadModels } from '../../core/projections/read-models.js';
import { KindredError } from '../../errors/catalog.js';
import type { Engine } from '../engine.js';
import { runInSlices } from '../run-in-slices.js';
import type { ModelRecord, ModelRegistry } from '../training/model-registry.js';

export interface RecommendedItem {
  readonly id: string;
  readonly score: number;
}

export interface Recommendation {
  readonly recommendationId: string;
  readonly items: RecommendedItem[];
  /** Which path answered: the trained pipeline, or trending (unknown user, no model...). */
  readonly source: 'model' | 'trending';
  /** The model version that answered, when one did. */
  readonly model: string | null;
}

/** Longest stretch of index building between two turns of the event loop (a request waits no longer). */
const INDEX_SLICE_MS = 2;

interface Serving {
  readonly version: string;
  readonly recommender: Recommender;
}

/** Reads a user's history straight out of the read models, newest first. */
class ReadModelHistories implements HistoryReader {
  constructor(private readonly readModels: ReadModels) {}
  readRecent(user: number, items: Int32Array, types: Uint8Array, values: Float64Array): number {
    return this.readModels.histories.readRecent(user, items, types, values);
  }
}

/** Items that must never be recommended: deleted, hidden or unavailable. */
class CatalogGate implements IndexSet {
  constructor(private readonly readModels: ReadModels) {}
  has(index: number): boolean {
    const item = this.readModels.catalog.at(index);
    return item === undefined || item.hidden || !item.available;
  }
}

/**
 * The serving side of models: holds the active pipeline and swaps it atomically (one
 * reference assignment between two synchronous requests) when a new version is trained
 * or a rollback is asked for, here or in another process sharing the log (a
 * `model.trained` or `model.activated` event). Keeps trending up to date from every
 * interaction applied.
 */
export class ModelServing {
  private serving: Serving | undefined;
  private readonly trending: TrendingCounter;
  private readonly histories: ReadModelHistories;
  private readonly gate: CatalogGate;
  private loading = new Map<string, Promise<void>>();
  /** The version being made ready to serve (its indexes built), until it swaps in. */
  private preparing: Recommender | undefined;
  private unsubscribe: (() => void) | undefined;
  private activation: Promise<void> = Promise.resolve();
  private readonly swapListeners: Array<(version: string) => void> = [];
  private readonly warmListeners: Array<(version: string, recommender: Recommender) => void> = [];
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly registry: ModelRegistry,
    private readonly logger: Logger,
    trendingHalfLifeHours: number,
    private readonly annMinItems = Number.POSITIVE_INFINITY,
  ) {
    this.trending = new TrendingCounter(trendingHalfLifeHours * 3600);
    this.histories = new ReadModelHistories(engine.readModels);
    this.gate = new CatalogGate(engine.readModels);
  }

  get activeVersion(): string | null {
    return this.serving?.version ?? null;
  }

  get trendingItems(): TrendingCounter {
    return this.trending;
  }

  /** Items never recommended: deleted, hidden, unavailable. */
  get blockedItems(): IndexSet {
    return this.gate;
  }

  /** The pipeline serving now, for read-only use beside recommendations (search affinity). */
  get activeRecommender(): Recommender | undefined {
    return this.serving?.recommender;
  }

  /** Calls `listener` after each swap, with the version now serving (live streams refresh). */
  onSwap(listener: (version: string) => void): () => void {
    this.swapListeners.push(listener);
    return () => {
      const at = this.swapListeners.indexOf(listener);
      if (at >= 0) this.swapListeners.splice(at, 1);
    };
  }

  /**
   * Calls `listener` once a version's indexes are built and its users' vectors folded in
   * (the recommender is still the one serving then), for work that builds on them.
   */
  onWarmed(listener: (version: string, recommender: Recommender) => void): void {
    this.warmListeners.push(listener);
  }

  /** Builds trending from the read models, loads the active version, then follows the log. */
  async start(): Promise<void> {
    const models = this.engine.readModels;
    const { items, types, values, times, users } = models.histories.columns();
    for (let row = 0; row < items.length; row++) {
      if (users[row]! < 0) continue;
      this.trending.add(
        items[row]!,
        eventValue(models.interactionTypes, 'signal', types[row]!, values[row]!),
        times[row]!,
      );
    }
    const active = await this.registry.active();
    if (active !== undefined) {
      await this.activate(active.version).catch((error: unknown) =>
        this.logger.error(
          { err: error, version: active.version },
          'active model could not be loaded',
        ),
      );
    }
    this.unsubscribe = models.onApplied((events) => this.onApplied(events));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onApplied(events: readonly StoredEvent[]): void {
    const models = this.engine.readModels;
    for (const event of events) {
      if (event.type === EventTypes.interactionRecorded.type) {
        const payload = event.payload as InteractionRecordedPayload;
        const item = models.catalog.ids.indexOf(payload.itemId);
        const type = models.interactionTypes.indexOf(payload.type);
        if (item === undefined || type === undefined) continue;
        this.trending.add(
          item,
          eventValue(models.interactionTypes, 'signal', type, payload.value ?? Number.NaN),
          event.occurredAt / 1000,
        );
      } else if (event.type === EventTypes.modelTrained.type) {
        this.follow((event.payload as ModelTrainedPayload).version);
      } else if (event.type === EventTypes.modelActivated.type) {
        this.follow((event.payload as ModelActivatedPayload).version);
      }
    }
  }

  /** Activations announced by the log are applied in log order, one after the other. */
  private follow(version: string): void {
    this.activation = this.activation
      .then(() => this.activate(version))
      .catch((error: unknown) =>
        this.logger.error({ err: error, version }, 'announced model could not be loaded'),
      );
  }

  /**
   * Loads a version (from `artifact` when the caller has it, else the registry) and makes
   * it the one serving once it serves at full speed: on large catalogs its indexes are
   * built first, beside the version serving now, so neither a start nor a swap sends
   * requests into a warm-up. The swap itself is one assignment. A later activation
   * supersedes one still being prepared.
   */
  activate(version: string, artifact?: Uint8Array): Promise<void> {
    if (this.serving?.version === version) return Promise.resolve();
    let pending = this.loading.get(version);
    if (pending === undefined) {
      pending = (async () => {
        const bytes = artifact ?? (await this.registry.artifact(version));
        if (bytes === undefined)
          throw new KindredError('MODEL_NOT_FOUND', `no model version "${version}"`, { version });
        const { model } = decodeArtifact(bytes);
        const recommender = new Recommender(model, this.engine.readModels.interactionTypes);
        this.preparing = recommender;
        const prepared = await this.prepare(version, recommender);
        if (!prepared || this.preparing !== recommender) return;
        this.preparing = undefined;
        const previous = this.serving?.version ?? null;
        this.serving = { version, recommender };
        this.logger.info(
          { version, previous, items: model.itemCount, userVectors: model.userVectors?.users ?? 0 },
          'model serving',
        );
        for (const listener of this.swapListeners) listener(version);
        if (recommender.usesIndex)
          for (const listener of this.warmListeners) listener(version, recommender);
      })().finally(() => this.loading.delete(version));
      this.loading.set(version, pending);
    }
    return pending;
  }

  /**
   * On large catalogs an iALS-only pipeline gets an inner-product index, built in slices
   * of a couple of ms between requests (seconds of CPU for 100,000 items), then one index
   * per category (of the catalog at that moment), for filtered requests; then users'
   * vectors are folded in if the artifact did not bring them. False when the version was
   * superseded or serving stopped meanwhile.
   */
  private async prepare(version: string, recommender: Recommender): Promise<boolean> {
    const ials = recommender.annFactors;
    const current = (): boolean => !this.stopped && this.preparing === recommender;
    if (ials === undefined || recommender.itemCount <= this.annMinItems) return current();
    const built = await this.inSlices(
      'model-index',
      buildIvfIndexInSlices(ials.itemFactors, ials.items, ials.factors),
      current,
    );
    if (built === undefined) return false;
    recommender.useIndex(built.result);
    this.logger.info(
      { version, items: built.result.items, clusters: built.result.clusters, ms: built.ms },
      'approximate index built',
    );
    const categories = CategoryIndex.build(this.engine.readModels.catalog);
    const members = {
      names: categories.names,
      offsets: categories.categoryOffsets,
      items: categories.categoryItems,
    };
    const partitions = await this.inSlices(
      'model-category-indexes',
      buildPartitionsInSlices(ials.itemFactors, ials.items, ials.factors, members),
      current,
    );
    if (partitions === undefined) return false;
    recommender.usePartitions(partitions.result);
    this.logger.info(
      { version, categories: partitions.result.size, ms: partitions.ms },
      'per-category indexes built for filtered requests',
    );
    const trained = recommender.model.userVectors;
    if (trained !== undefined)
      this.logger.info(
        { version, users: trained.users, ms: 0, at: 'training' },
        "users' vectors folded in",
      );
    else {
      const readModels = this.engine.readModels;
      const warmed = await this.inSlices(
        'model-user-vectors',
        recommender.warmVectors(readModels.histories, readModels.users.ids.size),
        current,
      );
      if (warmed === undefined) return false;
      this.logger.info(
        { version, users: warmed.result, ms: warmed.ms },
        "users' vectors folded in",
      );
    }
    return current();
  }

  /** Runs a build a few ms at a time between requests; undefined if `current` turned false. */
  private async inSlices<T>(
    task: string,
    steps: Generator<void, T, void>,
    current: () => boolean,
  ): Promise<{ result: T; ms: number } | undefined> {
    const started = Date.now();
    const result = await runInSlices(steps, { sliceMs: INDEX_SLICE_MS, keepGoing: current, task });
    return result === undefined || !current() ? undefined : { result, ms: Date.now() - started };
  }

  /**
   * Switches serving back to `version` (default: the version before the active one),
   * durably: the registry's pointer, then a `model.activated` event for other nodes.
   */
  async rollback(version?: string): Promise<{ active: string; previous: string | null }> {
    const records = await this.registry.list();
    if (records.length === 0)
      throw new KindredError('NO_MODEL_TRAINED', 'no model has been trained yet');
    const current = (await this.registry.active())?.version ?? this.activeVersion;
    let target: ModelRecord | undefined;
    if (version !== undefined) {
      target = records.find((record) => record.version === version);
      if (target === undefined)
        throw new KindredError('MODEL_NOT_FOUND', `no model version "${version}"`, {
          version,
          known: records.map((record) => record.version),
        });
    } else {
      const at = records.findIndex((record) => record.version === current);
      target = at > 0 ? records[at - 1] : undefined;
      if (target === undefined)
        throw new KindredError(
          'NO_MODEL_TRAINED',
          'there is no earlier model version to roll back to',
          {
            active: current,
          },
        );
    }
    await this.activate(target.version);
    await this.registry.setActive(target.version, 'rollback');
    const now = Date.now();
    const payload: ModelActivatedPayload = {
      version: target.version,
      previous: current ?? null,
      reason: 'rollback',
    };
    await this.engine.writes.append([
      {
        id: newEventId(now),
        type: EventTypes.modelActivated.type,
        version: EventTypes.modelActivated.version,
        occurredAt: now,
        receivedAt: now,
        partitionKey: 'models',
        payload,
        metadata: { source: 'models' },
      },
    ]);
    return { active: target.version, previous: current ?? null };
  }

  /** Personalized for a known user with history; trending otherwise. */
  recommendForUser(userId: string, k: number): Recommendation {
    const models = this.engine.readModels;
    const user = models.users.ids.indexOf(userId);
    const serving = this.serving;
    if (serving !== undefined && user !== undefined) {
      const ranked = serving.recommender.recommend(this.histories, user, k, this.gate);
      if (ranked !== undefined) return this.answer(ranked, 'model', serving.version);
    }
    return this.trendingFor(k, user);
  }

  /** Items like this one, by the active pipeline; trending when it knows nothing of the item. */
  similarItems(itemId: string, k: number): Recommendation {
    const models = this.engine.readModels;
    const item = models.catalog.ids.indexOf(itemId);
    if (item === undefined || models.catalog.at(item) === undefined)
      throw new KindredError('ITEM_NOT_FOUND', `no item "${itemId}"`, { id: itemId });
    const serving = this.serving;
    if (serving === undefined)
      throw new KindredError('NO_MODEL_TRAINED', 'no model has been trained yet', {});
    const ranked = serving.recommender.similar(item, k, this.gate);
    if (ranked !== undefined) return this.answer(ranked, 'model', serving.version);
    return this.answer(
      this.trending.top(k, { has: (index) => index === item || this.gate.has(index) }),
      'trending',
      null,
      true,
    );
  }

  /** What is popular now, excluding what this user (if any) has already seen. */
  trendingFor(k: number, user?: number): Recommendation {
    let exclude: IndexSet = this.gate;
    if (user !== undefined) {
      const seen = this.seenItems(user);
      if (seen.size > 0) exclude = { has: (index) => seen.has(index) || this.gate.has(index) };
    }
    return this.answer(this.trending.top(k, exclude), 'trending', null, true);
  }

  private seenItems(user: number): Set<number> {
    const models = this.engine.readModels;
    const seen = new Set<number>();
    for (const entry of models.histories.recent(user, 10_000)) {
      if (models.interactionTypes.seenMask[entry.type] === 1) seen.add(entry.item);
    }
    return seen;
  }

  private answer(
    ranked: Ranked,
    source: Recommendation['source'],
    model: string | null,
    relative = false,
  ): Recommendation {
    const ids = this.engine.readModels.catalog.ids;
    const top = ranked.scores[0] ?? 1;
    const items: RecommendedItem[] = [];
    for (let position = 0; position < ranked.indices.length; position++) {
      const id = ids.idOf(ranked.indices[position]!);
      if (id === null) continue;
      const score = ranked.scores[position]!;
      items.push({ id, score: relative && top > 0 ? score / top : score });
    }
    return { recommendationId: newEventId(), items, source, model };
  }
}
