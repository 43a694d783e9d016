import type { InteractionTypes } from '../domain/interaction.js';
import type { Item } from '../domain/item.js';
import {
  type Diversity,
  SOURCE_NAMES,
  type SourceName,
  type SourceSetting,
  type StageBudgets,
} from '../domain/scenario.js';
import { type ContentModel, scoreByContent, userContentProfile } from '../models/content.js';
import { createRandom } from '../models/random.js';
import { type IndexSet, type Ranked, topK, topKAmong } from '../models/top-k.js';
import type { HistoryReader } from '../recommend/recommender.js';
import { CandidateSet, REMOVAL_NAMES, Removal } from './candidate-set.js';
import { CategoryIndex } from './category-index.js';
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  type FeatureSources,
  computeFeatures,
  computeItemFeatures,
  normalizeSources,
} from './features.js';
import { diversify, explore, sortByScore } from './ordering.js';
import type { LogisticRanker } from './ranker.js';
import { SOURCE_COUNT, sourceSlot } from './sources.js';

/** What the pipeline needs of the trained pipeline (a `Recommender`). */
export interface CollaborativeModel {
  recommend(
    reader: HistoryReader,
    user: number,
    k: number,
    blocked?: IndexSet,
    cacheKey?: number | null,
    exact?: boolean,
    within?: readonly string[],
  ): Ranked | undefined;
  similar(item: number, k: number, blocked?: IndexSet): Ranked | undefined;
  /** The user's list ranked at training time, `listDepthAhead` deep, while still valid. */
  listRankedAhead?(reader: HistoryReader, user: number): Ranked | undefined;
  readonly listDepthAhead?: number;
}

export interface TrendingSource {
  top(k: number, exclude?: IndexSet): Ranked;
  score(item: number): number;
}

/** Who the list is for. */
export type Subject =
  | { readonly kind: 'user'; readonly user: number; readonly reader: HistoryReader }
  /** An anonymous visitor: the reader yields their recent items. */
  | { readonly kind: 'session'; readonly reader: HistoryReader }
  /** Items like this one. */
  | { readonly kind: 'item'; readonly item: number }
  | { readonly kind: 'none' };

/** The state the pipeline reads; the models part changes when a model is swapped. */
export interface ServingWorld extends FeatureSources {
  readonly types: InteractionTypes;
  readonly cf: CollaborativeModel | undefined;
  readonly trending: TrendingSource;
  readonly content: ContentModel | undefined;
  /** Items never shown: deleted, hidden, unavailable. */
  readonly gate: IndexSet;
}

/** A scenario with its names resolved to indexes, as a request runs it. */
export interface ResolvedScenario {
  readonly name: string;
  readonly version: number;
  readonly sources: readonly SourceSetting[];
  readonly fallback: readonly SourceName[];
  /** 1 per interaction type whose items count as seen. */
  readonly seenTypes: Uint8Array;
  /** 1 per interaction type whose items are negative feedback (left out when set). */
  readonly negativeTypes: Uint8Array;
  readonly diversity: Diversity;
  readonly exploration: number;
  readonly pinned: readonly { readonly item: number; readonly position: number }[];
  readonly ranker: boolean;
  readonly budgets: StageBudgets;
}

/** Runs `fn` as a named stage (a tracing span); the identity when tracing is off. */
export interface StageTracer {
  stage<T>(name: string, fn: () => T): T;
}

export interface RuleEffect {
  readonly rule: string;
  readonly factor: number;
}

export interface PipelineRequest {
  readonly subject: Subject;
  readonly scenario: ResolvedScenario;
  readonly k: number;
  readonly offset: number;
  /** Items the request leaves out (its exclude list, pages already served). */
  readonly exclude?: IndexSet;
  readonly filter?: (item: Item) => boolean;
  /** Categories every item the filter keeps carries: sources may search those alone. */
  readonly categories?: readonly string[];
  /** The product of the boost factors of an item. */
  readonly boost?: (item: Item) => number;
  readonly explainBoost?: (item: Item) => readonly RuleEffect[];
  readonly explain: boolean;
  /** Unix seconds. */
  readonly now: number;
  /** Seeds exploration. */
  readonly seed: number;
  readonly ranker?: LogisticRanker;
  readonly trace: StageTracer;
  /** Score every item for `cf` even when the model has an approximate index. */
  readonly exact?: boolean;
  /** False: the page's feature rows stay NaN unless scoring or explaining computed them. */
  readonly pageFeatures?: boolean;
}

export interface SourceEvidence {
  readonly source: SourceName;
  readonly score: number;
  readonly rank: number;
}

export interface ItemExplanation {
  readonly sources: SourceEvidence[];
  readonly features: Record<string, number>;
  readonly rules: readonly RuleEffect[];
  readonly score: {
    readonly blend: number;
    readonly ranker?: number;
    readonly boost: number;
    readonly final: number;
  };
  readonly fallback: boolean;
  readonly pinned: boolean;
  readonly explored: boolean;
}

export interface PipelineResult {
  readonly items: Int32Array;
  readonly scores: Float64Array;
  /** Feature rows of the items (FEATURE_COUNT each); NaN rows for pinned items. */
  readonly features: Float32Array;
  readonly scorer: 'blend' | 'ranker';
  /** Fallback sources that contributed items. */
  readonly fallbackUsed: SourceName[];
  /** Why a stage was skipped or fell back; empty when all went to plan. */
  readonly degraded: string[];
  /** Candidates removed, per filter reason. */
  readonly removed: Record<string, number>;
  readonly explanations?: ItemExplanation[];
}

export interface PipelineOptions {
  /** Most candidates one request gathers over all sources. */
  readonly maxCandidates?: number;
  /** Most interactions read per user (seen items, affinities). */
  readonly maxHistory?: number;
  /** Latest items that seed the `recent` and `content` sources. */
  readonly seeds?: number;
  /** Milliseconds, monotonic; tests pass a fake. */
  readonly clock?: () => number;
}

const NO_TRACE: StageTracer = { stage: (_name, fn) => fn() };
const SEEN = 1;
const NEGATIVE = 2;
const TOP_CATEGORIES = 3;
const CF = sourceSlot('cf');
/** Sources propose this many times more candidates when a rule filter will remove some. */
const RULE_FILTER_DEPTH = 10;
/** Candidates proposed between two checks of a streamed source. */
const STREAM_CHUNK = 32;
/** Candidates beyond the page a search narrowed to a category starts with. */
const NARROWED_MARGIN = 5;
/** The deepest list a streamed source is asked for. */
const MAX_STREAM_DEPTH = 10_000;

/**
 * The four stages behind every recommendation: retrieve candidates from several sources
 * at once (each with its budget), filter them (seen, negative feedback, hidden or
 * unavailable, excluded, rule filters), score them (the weighted blend of normalized
 * source scores, or the learned ranker over real-time features) and order them
 * (diversity, exploration, pinned items, the page). Every stage has a time budget; one
 * that throws or runs over is skipped, the list falls back along the scenario's chain,
 * and the result says why it is degraded.
 *
 * No I/O, and scratch memory is allocated once: a request allocates its result and the
 * sources' top-k lists. Not re-entrant, which JavaScript's single thread guarantees.
 */
export class ServingPipeline {
  private readonly set: CandidateSet;
  private readonly maxHistory: number;
  private readonly seedLimit: number;
  private readonly clock: () => number;
  private readonly historyItems: Int32Array;
  private readonly historyTypes: Uint8Array;
  private readonly historyValues: Float64Array;
  private historyCount = 0;
  private marks: Uint8Array;
  private readonly markedList: Int32Array;
  private markedCount = 0;
  private subjectItem = -1;
  private readonly seeds: Int32Array;
  private readonly seedWeights: Float32Array;
  private seedCount = 0;
  /** Whether `profile` ran for this request (seeds and affinity are current). */
  private profiled = false;
  private accumulator: Float64Array;
  private readonly touched: Int32Array;
  private contentScratch: Float32Array<ArrayBuffer> | undefined;
  private affinity = new Float32Array(64);
  private readonly features: Float32Array;
  private readonly order: Int32Array;
  private readonly orderScratch: Int32Array;
  private readonly blocked: IndexSet;
  private world: ServingWorld | undefined;
  private requestExclude: IndexSet | undefined;
  /** Slots 0 .. filteredCount-1 have been through the filters. */
  private filteredCount = 0;
  private removedCount = 0;
  private readonly removedCounts = new Array<number>(REMOVAL_NAMES.length).fill(0);
  /** False once the request's rule filter failed or ran over (then it is skipped). */
  private ruleHealthy = true;
  private ruleSpentMs = 0;
  /**
   * The subject's history as `prepare` read it: the collaborative source reads it again
   * from here instead of walking the read model's per-user chain a second time.
   */
  private readonly preparedHistory: HistoryReader = {
    readRecent: (_user, items, types, values) => {
      const count = Math.min(this.historyCount, items.length, types.length, values.length);
      for (let at = 0; at < count; at++) {
        items[at] = this.historyItems[at]!;
        types[at] = this.historyTypes[at]!;
        values[at] = this.historyValues[at]!;
      }
      return count;
    },
  };
  /** False while only the source features of the candidates are computed (the blend). */
  private itemFeaturesDone = false;

  constructor(
    itemCapacity: number,
    private categories: CategoryIndex = new CategoryIndex(),
    options: PipelineOptions = {},
  ) {
    const capacity = options.maxCandidates ?? 2000;
    this.set = new CandidateSet(capacity, itemCapacity);
    this.maxHistory = options.maxHistory ?? 10_000;
    this.seedLimit = options.seeds ?? 3;
    this.clock = options.clock ?? (() => performance.now());
    this.historyItems = new Int32Array(this.maxHistory);
    this.historyTypes = new Uint8Array(this.maxHistory);
    this.historyValues = new Float64Array(this.maxHistory);
    this.marks = new Uint8Array(itemCapacity);
    this.markedList = new Int32Array(this.maxHistory + 1);
    this.seeds = new Int32Array(this.seedLimit);
    this.seedWeights = new Float32Array(this.seedLimit);
    this.accumulator = new Float64Array(itemCapacity);
    this.touched = new Int32Array(Math.max(capacity, 1) * 4);
    this.features = new Float32Array(capacity * FEATURE_COUNT);
    this.order = new Int32Array(capacity);
    this.orderScratch = new Int32Array(capacity);
    // What no source should propose: seen or disliked, the subject item, excluded (the
    // request's list and pages already served), deleted, hidden or unavailable. Sources
    // then need budgets only as deep as the page, however many items are excluded.
    this.blocked = {
      has: (index) =>
        (this.marks[index] !== undefined && this.marks[index] !== 0) ||
        index === this.subjectItem ||
        (this.requestExclude?.has(index) ?? false) ||
        (this.world?.gate.has(index) ?? false),
    };
  }

  /** Replaces the category index (the catalog changed). */
  useCategories(categories: CategoryIndex): void {
    this.categories = categories;
  }

  run(world: ServingWorld, request: PipelineRequest): PipelineResult {
    const trace = request.trace ?? NO_TRACE;
    this.world = world;
    this.prepare(world, request);
    const degraded: string[] = [];
    try {
      const needed = request.offset + request.k;
      const streaming = inSourceOrder(request);
      trace.stage('retrieve', () => this.retrieve(world, request, needed, degraded, streaming));
      const fallbackUsed: SourceName[] = [];
      const removed = trace.stage('filter', () =>
        this.filter(world, request, needed, degraded, fallbackUsed),
      );
      const scorer = trace.stage('score', () => this.score(world, request, degraded));
      return trace.stage('order', () =>
        this.orderAndPage(world, request, degraded, scorer, fallbackUsed, removed),
      );
    } finally {
      this.release();
    }
  }

  // ---- preparation: the subject's history, seen marks, seeds, category affinity ----

  private prepare(world: ServingWorld, request: PipelineRequest): void {
    const capacity = Math.max(world.catalog.capacity, 1);
    this.set.ensureItems(capacity);
    if (this.marks.length < capacity) {
      this.marks = new Uint8Array(Math.max(capacity, this.marks.length * 2));
      this.accumulator = new Float64Array(this.marks.length);
    }
    const { subject, scenario } = request;
    this.historyCount = 0;
    this.subjectItem = subject.kind === 'item' ? subject.item : -1;
    this.requestExclude = request.exclude;
    this.filteredCount = 0;
    this.removedCount = 0;
    this.removedCounts.fill(0);
    this.ruleHealthy = true;
    this.ruleSpentMs = 0;
    if (subject.kind === 'user')
      this.historyCount = subject.reader.readRecent(
        subject.user,
        this.historyItems,
        this.historyTypes,
        this.historyValues,
      );
    else if (subject.kind === 'session')
      this.historyCount = subject.reader.readRecent(
        0,
        this.historyItems,
        this.historyTypes,
        this.historyValues,
      );
    this.markedCount = 0;
    for (let at = 0; at < this.historyCount; at++) {
      const item = this.historyItems[at]!;
      if (item < 0 || item >= capacity) continue;
      const type = this.historyTypes[at]!;
      let mark = 0;
      if (scenario.negativeTypes[type] === 1) mark = NEGATIVE;
      else if (scenario.seenTypes[type] === 1) mark = SEEN;
      if (mark !== 0 && this.marks[item] === 0) {
        this.marks[item] = mark;
        this.markedList[this.markedCount++] = item;
      } else if (mark === NEGATIVE) this.marks[item] = NEGATIVE;
    }
    this.profiled = false;
  }

  /**
   * The subject's seeds (latest positive items) and category affinity, from the history
   * `prepare` read: computed on first use, since only some sources and the ranker's
   * features read them, and a request of the plain collaborative source does not.
   */
  private profile(world: ServingWorld): void {
    if (this.profiled) return;
    this.profiled = true;
    const capacity = Math.max(world.catalog.capacity, 1);
    this.seedCount = 0;
    const categoryCount = this.categories.categoryCount;
    if (this.affinity.length < categoryCount) this.affinity = new Float32Array(categoryCount * 2);
    this.affinity.fill(0, 0, categoryCount);
    let affinityTotal = 0;
    for (let at = 0; at < this.historyCount; at++) {
      const item = this.historyItems[at]!;
      if (item < 0 || item >= capacity) continue;
      const signal = world.types.signal(this.historyTypes[at]!, this.historyValues[at]!);
      if (!(signal > 0)) continue;
      if (this.seedCount < this.seedLimit && !this.isSeed(item)) {
        this.seeds[this.seedCount] = item;
        this.seedWeights[this.seedCount++] = 1 / (1 + this.seedCount);
      }
      if (item < this.categories.itemCount) {
        const { itemOffsets, itemCategories } = this.categories;
        for (let c = itemOffsets[item]!; c < itemOffsets[item + 1]!; c++) {
          this.affinity[itemCategories[c]!]! += signal;
          affinityTotal += signal;
        }
      }
    }
    if (this.subjectItem >= 0 && this.subjectItem < capacity) {
      this.seeds[0] = this.subjectItem;
      this.seedWeights[0] = 1;
      this.seedCount = 1;
    }
    if (affinityTotal > 0)
      for (let c = 0; c < categoryCount; c++) this.affinity[c]! /= affinityTotal;
  }

  private isSeed(item: number): boolean {
    for (let i = 0; i < this.seedCount; i++) if (this.seeds[i] === item) return true;
    return false;
  }

  private release(): void {
    for (let i = 0; i < this.markedCount; i++) this.marks[this.markedList[i]!] = 0;
    this.markedCount = 0;
    this.set.clear();
    this.world = undefined;
    this.requestExclude = undefined;
  }

  // ---- retrieve ----

  private retrieve(
    world: ServingWorld,
    request: PipelineRequest,
    needed: number,
    degraded: string[],
    streaming: boolean,
  ): void {
    const started = this.clock();
    const budget = request.scenario.budgets.retrieveMs;
    const sources = request.scenario.sources;
    if (streaming) {
      const setting = sources[0]!;
      try {
        this.retrieveInOrder(world, request, setting, needed, degraded);
      } catch (error) {
        this.set.retract(sourceSlot(setting.name));
        this.filteredCount = 0;
        this.removedCount = 0;
        this.removedCounts.fill(0);
        degraded.push(`retrieve: ${setting.name} failed (${messageOf(error)})`);
      }
      if (this.clock() - started > budget) {
        this.set.retract(sourceSlot(setting.name));
        this.filteredCount = 0;
        this.removedCount = 0;
        this.removedCounts.fill(0);
        degraded.push(`retrieve: ${setting.name} ran over the ${budget} ms budget`);
      }
      return;
    }
    for (let index = 0; index < sources.length; index++) {
      const setting = sources[index]!;
      if (index > 0 && this.clock() - started > budget) {
        degraded.push(`retrieve: over its ${budget} ms budget, skipped ${setting.name}`);
        continue;
      }
      const slot = sourceSlot(setting.name);
      try {
        this.runSource(world, request, setting.name, this.depth(request, setting.budget), 0);
      } catch (error) {
        this.set.retract(slot);
        degraded.push(`retrieve: ${setting.name} failed (${messageOf(error)})`);
        continue;
      }
      if (this.clock() - started > budget) {
        this.set.retract(slot);
        degraded.push(`retrieve: ${setting.name} ran over the ${budget} ms budget`);
      }
    }
  }

  /**
   * One source whose order is the final order (see `inSourceOrder`): its candidates are
   * proposed and filtered a chunk at a time, and retrieval stops once the page is full, so
   * a request that keeps one candidate in twenty walks a few hundred entries of a list
   * instead of filtering and scoring a thousand. When the list runs out first, the source
   * is asked for a list RULE_FILTER_DEPTH times deeper, up to MAX_STREAM_DEPTH.
   */
  private retrieveInOrder(
    world: ServingWorld,
    request: PipelineRequest,
    setting: SourceSetting,
    needed: number,
    degraded: string[],
  ): void {
    const slot = sourceSlot(setting.name);
    // A search narrowed to the filter's category finds items the filter keeps: a margin
    // for the rest of the filter will do (it deepens when short).
    const narrowed = request.categories !== undefined && request.categories.length > 0;
    let depth = narrowed ? Math.min(setting.budget, needed + NARROWED_MARGIN) : setting.budget;
    depth = Math.max(depth, needed);
    for (;;) {
      const ranked = this.retrieveFrom(world, request, setting.name, depth);
      if (ranked === undefined) return;
      const length = ranked.indices.length;
      // From the top again: a deeper search may rank a few items above the last list's.
      for (let position = 0; position < length; position += STREAM_CHUNK) {
        const end = Math.min(length, position + STREAM_CHUNK);
        const full = !this.proposeRanked(ranked, slot, position, end, 0);
        this.applyFilters(world, request, degraded);
        if (full || this.set.count - this.removedCount >= needed) return;
      }
      if (length < depth || depth >= MAX_STREAM_DEPTH) return;
      depth = Math.min(MAX_STREAM_DEPTH, depth * RULE_FILTER_DEPTH);
    }
  }

  /**
   * How many candidates a source proposes: its budget, at least the page, and
   * RULE_FILTER_DEPTH times more under a rule filter, which applies after retrieval (a
   * category filter keeps one candidate in twenty: without the margin a page of ten
   * came back with two). Ranking deeper costs a larger heap, not another scoring pass.
   */
  private depth(request: PipelineRequest, budget: number): number {
    const needed = request.offset + request.k;
    const depth = Math.max(budget, needed);
    return request.filter === undefined ? depth : depth * RULE_FILTER_DEPTH;
  }

  /** Proposes entries from .. to-1 of a source's list; false once the set is full. */
  private proposeRanked(
    ranked: Ranked,
    slot: number,
    from: number,
    to: number,
    tier: number,
  ): boolean {
    for (let position = from; position < to; position++)
      if (
        !this.set.propose(
          ranked.indices[position]!,
          slot,
          ranked.scores[position]!,
          position + 1,
          tier,
        )
      )
        return false;
    return true;
  }

  /** Proposes one source's candidates. */
  private runSource(
    world: ServingWorld,
    request: PipelineRequest,
    name: SourceName,
    budget: number,
    tier: number,
  ): void {
    const ranked = this.retrieveFrom(world, request, name, budget);
    if (ranked === undefined) return;
    this.proposeRanked(ranked, sourceSlot(name), 0, ranked.indices.length, tier);
  }

  private retrieveFrom(
    world: ServingWorld,
    request: PipelineRequest,
    name: SourceName,
    budget: number,
  ): Ranked | undefined {
    const { subject, categories } = request;
    const exact = request.exact ?? false;
    switch (name) {
      case 'cf':
        if (world.cf === undefined) return undefined;
        if (subject.kind === 'user')
          return world.cf.recommend(
            this.preparedHistory,
            subject.user,
            budget,
            this.blocked,
            subject.user,
            exact,
            categories,
          );
        if (subject.kind === 'session')
          return world.cf.recommend(
            this.preparedHistory,
            0,
            budget,
            this.blocked,
            null,
            exact,
            categories,
          );
        if (subject.kind === 'item') return world.cf.similar(subject.item, budget, this.blocked);
        return undefined;
      case 'recent':
        return this.recent(world, budget);
      case 'trending':
        return world.trending.top(budget, this.blocked);
      case 'content':
        return this.content(world, budget);
      case 'category-popular':
        return this.categoryPopular(world, budget);
    }
  }

  /** Neighbours of the latest items, each seed's list weighted down with its age. */
  private recent(world: ServingWorld, budget: number): Ranked | undefined {
    this.profile(world);
    if (world.cf === undefined || this.seedCount === 0) return undefined;
    let touched = 0;
    for (let s = 0; s < this.seedCount; s++) {
      const neighbours: Ranked | undefined = world.cf.similar(this.seeds[s]!, budget, this.blocked);
      if (neighbours === undefined) continue;
      const weight = this.seedWeights[s]!;
      for (let i = 0; i < neighbours.indices.length; i++) {
        const item = neighbours.indices[i]!;
        if (this.accumulator[item] === 0 && touched < this.touched.length)
          this.touched[touched++] = item;
        // Ranks, not raw scores, so seeds whose scores spread differently weigh alike.
        this.accumulator[item]! += weight * (1 - i / neighbours.indices.length) + 1e-9;
      }
    }
    return this.takeAccumulated(touched, budget);
  }

  private content(world: ServingWorld, budget: number): Ranked | undefined {
    const model = world.content;
    this.profile(world);
    if (model === undefined || this.seedCount === 0) return undefined;
    const rows = model.itemVectors.rows;
    let seeds = 0;
    for (let s = 0; s < this.seedCount; s++) if (this.seeds[s]! < rows) seeds++;
    if (seeds === 0) return undefined;
    const items = this.seeds.subarray(0, this.seedCount).filter((item) => item < rows);
    const weights = this.seedWeights
      .subarray(0, this.seedCount)
      .filter((_, s) => this.seeds[s]! < rows);
    const profile = userContentProfile(model, items, weights);
    if (this.contentScratch?.length !== rows) this.contentScratch = new Float32Array(rows);
    else this.contentScratch.fill(0);
    scoreByContent(model, profile, this.contentScratch);
    for (let i = 0; i < rows; i++)
      if (this.contentScratch[i] === 0) this.contentScratch[i] = Number.NEGATIVE_INFINITY;
    return topK(this.contentScratch, budget, this.blocked);
  }

  /** Trending within the user's favourite categories, scaled by their affinity. */
  private categoryPopular(world: ServingWorld, budget: number): Ranked | undefined {
    this.profile(world);
    const categories = this.categories;
    let touched = 0;
    for (let pick = 0; pick < TOP_CATEGORIES; pick++) {
      let best = -1;
      let bestShare = 0;
      for (let c = 0; c < categories.categoryCount; c++) {
        const share = this.affinity[c]!;
        if (share > bestShare && !this.alreadyPicked(c, pick)) {
          best = c;
          bestShare = share;
        }
      }
      if (best < 0) break;
      this.picked[pick] = best;
      for (
        let at = categories.categoryOffsets[best]!;
        at < categories.categoryOffsets[best + 1]!;
        at++
      ) {
        const item = categories.categoryItems[at]!;
        const score =
          bestShare *
          (world.trending.score(item) + 1e-6 * Math.log1p(world.totalInteractions(item)));
        if (!(score > 0)) continue;
        if (this.accumulator[item] === 0) {
          if (touched >= this.touched.length) break;
          this.touched[touched++] = item;
        }
        if (score > this.accumulator[item]!) this.accumulator[item] = score;
      }
    }
    return this.takeAccumulated(touched, budget);
  }

  private readonly picked = new Int32Array(TOP_CATEGORIES);

  private alreadyPicked(category: number, pick: number): boolean {
    for (let p = 0; p < pick; p++) if (this.picked[p] === category) return true;
    return false;
  }

  /** Top `budget` of the accumulated items (blocked ones left out); clears the accumulator. */
  private takeAccumulated(touched: number, budget: number): Ranked {
    const ranked = topKAmong(this.accumulator, this.touched, touched, budget, this.blocked);
    for (let i = 0; i < touched; i++) this.accumulator[this.touched[i]!] = 0;
    return ranked;
  }

  // ---- filter ----

  private filter(
    world: ServingWorld,
    request: PipelineRequest,
    needed: number,
    degraded: string[],
    fallbackUsed: SourceName[],
  ): Record<string, number> {
    this.applyFilters(world, request, degraded);
    for (const name of request.scenario.fallback) {
      if (this.set.count - this.removedCount >= needed) break;
      const from = this.set.count;
      try {
        this.runSource(world, request, name, this.depth(request, needed), 1);
      } catch (error) {
        degraded.push(`retrieve: fallback ${name} failed (${messageOf(error)})`);
        continue;
      }
      if (this.set.count > from) fallbackUsed.push(name);
      this.applyFilters(world, request, degraded);
    }
    const removed: Record<string, number> = {};
    this.removedCounts.forEach((count, reason) => {
      if (reason > 0 && count > 0) removed[REMOVAL_NAMES[reason]!] = count;
    });
    return removed;
  }

  /** Filters the candidates proposed since the last call. */
  private applyFilters(world: ServingWorld, request: PipelineRequest, degraded: string[]): void {
    const from = this.filteredCount;
    this.applyFixedFilters(world, request, from, this.removedCounts);
    if (this.ruleHealthy && request.filter !== undefined)
      this.ruleHealthy = this.applyRuleFilter(world, request, from, this.removedCounts, degraded);
    this.filteredCount = this.set.count;
    let removed = 0;
    for (let reason = 1; reason < this.removedCounts.length; reason++)
      removed += this.removedCounts[reason]!;
    this.removedCount = removed;
  }

  private applyFixedFilters(
    world: ServingWorld,
    request: PipelineRequest,
    from: number,
    removed: number[],
  ): void {
    const set = this.set;
    for (let slot = from; slot < set.count; slot++) {
      if (set.removal[slot] !== 0) continue;
      const item = set.items[slot]!;
      let reason: number = Removal.kept;
      const mark = this.marks[item];
      if (mark === SEEN) reason = Removal.seen;
      else if (mark === NEGATIVE) reason = Removal.negative;
      else if (world.gate.has(item)) reason = Removal.unavailable;
      else if (item === this.subjectItem || request.exclude?.has(item)) reason = Removal.excluded;
      if (reason !== Removal.kept) {
        set.removal[slot] = reason;
        removed[reason]!++;
      }
    }
  }

  /** False (and every rule removal undone) when the rule filter throws or runs over. */
  private applyRuleFilter(
    world: ServingWorld,
    request: PipelineRequest,
    from: number,
    removed: number[],
    degraded: string[],
  ): boolean {
    const set = this.set;
    const filter = request.filter!;
    const started = this.clock();
    const budget = request.scenario.budgets.filterMs;
    let failure: string | undefined;
    try {
      for (let slot = from; slot < set.count; slot++) {
        if (set.removal[slot] !== 0) continue;
        const item = world.catalog.at(set.items[slot]!);
        if (item !== undefined && !filter(item)) {
          set.removal[slot] = Removal.rule;
          removed[Removal.rule]!++;
        }
      }
      // The budget is the request's: a streamed source filters in several calls.
      this.ruleSpentMs += this.clock() - started;
      if (this.ruleSpentMs > budget) failure = `ran over the ${budget} ms budget`;
    } catch (error) {
      failure = `failed (${messageOf(error)})`;
    }
    if (failure === undefined) return true;
    for (let slot = 0; slot < set.count; slot++) {
      if (set.removal[slot] === Removal.rule) {
        set.removal[slot] = Removal.kept;
        removed[Removal.rule]!--;
      }
    }
    degraded.push(`filter: the rule filter ${failure}; skipped`);
    return false;
  }

  // ---- score ----

  private score(
    world: ServingWorld,
    request: PipelineRequest,
    degraded: string[],
  ): 'blend' | 'ranker' {
    const set = this.set;
    const started = this.clock();
    const budget = request.scenario.budgets.scoreMs;
    const ranker = request.scenario.ranker ? request.ranker : undefined;
    const ranking = ranker !== undefined && ranker.features === FEATURE_COUNT;
    // The blend reads the source features alone; the rest are needed for the page only.
    if (ranking) {
      this.profile(world);
      computeFeatures(set, world, this.affinity, request.now, this.features);
    } else normalizeSources(set, this.features);
    this.itemFeaturesDone = ranking;
    this.blend(request.scenario.sources);
    let scorer: 'blend' | 'ranker' = 'blend';
    if (ranker !== undefined && ranking) {
      try {
        for (let slot = 0; slot < set.count; slot++)
          if (set.alive(slot)) set.scores[slot] = ranker.score(this.features, slot * FEATURE_COUNT);
        scorer = 'ranker';
        if (this.clock() - started > budget) {
          degraded.push(`score: the ranker ran over the ${budget} ms budget; blended instead`);
          scorer = 'blend';
        }
      } catch (error) {
        degraded.push(`score: the ranker failed (${messageOf(error)}); blended instead`);
        scorer = 'blend';
      }
      if (scorer === 'blend')
        for (let slot = 0; slot < set.count; slot++) set.scores[slot] = set.blend[slot]!;
    }
    if (request.boost !== undefined) {
      try {
        for (let slot = 0; slot < set.count; slot++) {
          if (!set.alive(slot)) continue;
          const item = world.catalog.at(set.items[slot]!);
          set.boosts[slot] = item === undefined ? 1 : request.boost(item);
        }
        for (let slot = 0; slot < set.count; slot++)
          if (set.alive(slot)) set.scores[slot]! *= set.boosts[slot]!;
      } catch (error) {
        for (let slot = 0; slot < set.count; slot++) set.boosts[slot] = 1;
        degraded.push(`score: the boost rules failed (${messageOf(error)}); skipped`);
      }
    }
    return scorer;
  }

  /** score = Σ weight · normalized source score / Σ weights; fallback items by their source. */
  private blend(sources: readonly SourceSetting[]): void {
    const set = this.set;
    let total = 0;
    for (const source of sources) total += Math.max(0, source.weight);
    for (let slot = 0; slot < set.count; slot++) {
      if (!set.alive(slot)) continue;
      const row = slot * FEATURE_COUNT;
      let value = 0;
      if (set.tiers[slot] === 0) {
        for (const source of sources)
          value += Math.max(0, source.weight) * this.features[row + sourceSlot(source.name)]!;
        value = total > 0 ? value / total : 0;
      } else {
        for (let s = 0; s < SOURCE_COUNT; s++) value = Math.max(value, this.features[row + s]!);
      }
      set.blend[slot] = value;
      set.scores[slot] = value;
    }
  }

  // ---- order ----

  private orderAndPage(
    world: ServingWorld,
    request: PipelineRequest,
    degraded: string[],
    scorer: 'blend' | 'ranker',
    fallbackUsed: SourceName[],
    removed: Record<string, number>,
  ): PipelineResult {
    const set = this.set;
    const { scenario, k, offset } = request;
    const primary = scenario.sources.length > 0 ? sourceSlot(scenario.sources[0]!.name) : CF;
    const order = this.order;
    let count = sortByScore(set, primary, order);
    let explored: number[] = [];
    const started = this.clock();
    const budget = scenario.budgets.orderMs;
    try {
      const window = Math.min(count, 2 * (offset + k) + 10);
      diversify(set, order, count, window, scenario.diversity, this.categories, this.orderScratch);
      if (scenario.exploration > 0)
        explored = explore(
          order,
          count,
          offset,
          k,
          scenario.exploration,
          createRandom(request.seed),
        );
      if (this.clock() - started > budget) throw new Error(`ran over the ${budget} ms budget`);
    } catch (error) {
      count = sortByScore(set, primary, order);
      explored = [];
      degraded.push(`order: diversity and exploration skipped (${messageOf(error)})`);
    }
    // The full list with pinned items placed: slots, or -1 - item for a pinned item.
    const entries: number[] = [];
    for (let i = 0; i < Math.min(count, offset + k + scenario.pinned.length); i++)
      entries.push(order[i]!);
    const pinnedItems = new Set<number>();
    for (const pin of [...scenario.pinned].sort((a, b) => a.position - b.position)) {
      if (
        world.gate.has(pin.item) ||
        request.exclude?.has(pin.item) ||
        pin.item === this.subjectItem
      )
        continue;
      const slot = set.slot(pin.item);
      if (slot >= 0) {
        const at = entries.indexOf(slot);
        if (at >= 0) entries.splice(at, 1);
      }
      entries.splice(Math.min(pin.position, entries.length), 0, -1 - pin.item);
      pinnedItems.add(pin.item);
    }
    const page = entries.slice(offset, offset + k);
    // One buffer for the three columns: a typed array over 64 bytes gets its own off-heap
    // allocation (and a finalizer at the next collection), a cost on every request.
    const n = page.length;
    const buffer = new ArrayBuffer(n * (8 + 4 + 4 * FEATURE_COUNT));
    const scores = new Float64Array(buffer, 0, n);
    const items = new Int32Array(buffer, 8 * n, n);
    const features = new Float32Array(buffer, 12 * n, n * FEATURE_COUNT);
    const explanations: ItemExplanation[] | undefined = request.explain ? [] : undefined;
    page.forEach((entry, position) => {
      const pinned = entry < 0;
      const item = pinned ? -1 - entry : set.items[entry]!;
      const slot = pinned ? set.slot(item) : entry;
      items[position] = item;
      const neighbour = page.find((other) => other >= 0);
      scores[position] = pinned
        ? neighbour === undefined
          ? 1
          : set.scores[neighbour]!
        : set.scores[slot]!;
      const rowed =
        slot >= 0 &&
        set.alive(slot) &&
        (this.itemFeaturesDone || request.pageFeatures !== false || request.explain);
      if (rowed && !this.itemFeaturesDone) {
        this.profile(world);
        computeItemFeatures(set, world, this.affinity, request.now, this.features, slot);
      }
      if (rowed)
        for (let f = 0; f < FEATURE_COUNT; f++)
          features[position * FEATURE_COUNT + f] = this.features[slot * FEATURE_COUNT + f]!;
      else features.fill(Number.NaN, position * FEATURE_COUNT, (position + 1) * FEATURE_COUNT);
      if (explanations !== undefined)
        explanations.push(
          this.explainOne(
            world,
            request,
            slot >= 0 && set.alive(slot) ? slot : -1,
            item,
            scores[position]!,
            scorer,
            {
              pinned,
              explored: explored.includes(position + offset),
            },
          ),
        );
    });
    return {
      items,
      scores,
      features,
      scorer,
      fallbackUsed,
      degraded,
      removed,
      ...(explanations === undefined ? {} : { explanations }),
    };
  }

  private explainOne(
    world: ServingWorld,
    request: PipelineRequest,
    slot: number,
    item: number,
    final: number,
    scorer: 'blend' | 'ranker',
    flags: { pinned: boolean; explored: boolean },
  ): ItemExplanation {
    const set = this.set;
    const sources: SourceEvidence[] = [];
    const features: Record<string, number> = {};
    if (slot >= 0) {
      for (let s = 0; s < SOURCE_COUNT; s++) {
        const rank = set.rank(slot, s);
        if (rank > 0)
          sources.push({ source: SOURCE_NAMES[s]!, score: set.sourceScore(slot, s), rank });
      }
      FEATURE_NAMES.forEach(
        (name, f) => (features[name] = this.features[slot * FEATURE_COUNT + f]!),
      );
    }
    const entry = world.catalog.at(item);
    const rules =
      entry !== undefined && request.explainBoost !== undefined ? request.explainBoost(entry) : [];
    const ranker =
      scorer === 'ranker' && slot >= 0 && request.ranker !== undefined
        ? request.ranker.score(this.features, slot * FEATURE_COUNT)
        : undefined;
    return {
      sources,
      features,
      rules,
      score: {
        blend: slot >= 0 ? set.blend[slot]! : 0,
        ...(ranker === undefined ? {} : { ranker }),
        boost: slot >= 0 ? set.boosts[slot]! : 1,
        final,
      },
      fallback: slot >= 0 && set.tiers[slot] === 1,
      pinned: flags.pinned,
      explored: flags.explored,
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True when the final order is the order of the scenario's one source: the blend of one
 * source is monotone in its score, and nothing reorders it (no ranker, boost, diversity
 * or exploration; pinned items are placed afterwards). Retrieval can then stop as soon as
 * the page is full without changing the answer.
 */
function inSourceOrder(request: PipelineRequest): boolean {
  const { scenario } = request;
  return (
    scenario.sources.length === 1 &&
    !(scenario.ranker && request.ranker !== undefined) &&
    request.boost === undefined &&
    scenario.diversity.mode === 'none' &&
    scenario.exploration === 0
  );
}
