import type { InteractionTypes } from '../domain/interaction.js';
import { choleskyInPlace, choleskySolveInPlace } from '../models/dense-linear-algebra.js';
import { type EaseDualScratch, easeDualScratch, scoreEaseDual } from '../models/ease-dual.js';
import { scoreEase } from '../models/ease.js';
import { scoreFromHistory } from '../models/item-knn.js';
import { type IvfIndex, type IvfSearchOptions, IvfSearcher } from '../models/ivf.js';
import { type IndexSet, type Ranked, topK } from '../models/top-k.js';
import type { ComponentModel, IalsFactors } from './components.js';
import { type InteractionView, eventValue, mergedValue } from './interaction-views.js';
import type { PipelineConfig } from './blend-config.js';

/** A trained pipeline: its configuration and its fitted models. */
export interface PipelineModel {
  readonly config: PipelineConfig;
  /** Catalog indexes 0 .. itemCount - 1 are the ones the models know. */
  readonly itemCount: number;
  readonly components: readonly ComponentModel[];
  /** iALS vectors folded in at training time (see `UserVectors`); absent: fold in on demand. */
  readonly userVectors?: UserVectors;
  /** Users' lists ranked at training time (see `UserLists`); absent: ranked on demand. */
  readonly userLists?: UserLists;
}

/**
 * Users' ranked lists (the `depth` best unseen items, nothing else blocked), ranked at
 * training time, off the event loop, with the version of the history each was ranked
 * from: a server keeps a user's list from here while their history is unchanged, so its
 * first request after a start or a swap costs what a later one does.
 */
export interface UserLists {
  readonly users: number;
  readonly depth: number;
  /** users x depth item indexes, each list's first `lengths[user]` valid. */
  readonly indices: Int32Array;
  readonly scores: Float32Array;
  /** Items in each list; -1: not ranked ahead. */
  readonly lengths: Int32Array;
  readonly versions: Float64Array;
}

/**
 * Every user's iALS vector, folded in from their history as it was at the training
 * offset, with that history's version: serving uses it while the user's history is
 * unchanged, so neither a start nor a model swap makes anyone's first request pay for a
 * fold-in. Vectors are exactly what serving would fold in (same code, same history).
 */
export interface UserVectors {
  readonly users: number;
  readonly factors: number;
  /** users x factors. */
  readonly vectors: Float32Array;
  /** The history version each vector was folded in from (0: none). */
  readonly versions: Float64Array;
}

/** Where a user's interactions come from: the read models when serving, a split offline. */
export interface HistoryReader {
  /**
   * Writes the user's interactions, newest first, into the buffers (at most their
   * length) and returns how many were written.
   */
  readRecent(user: number, items: Int32Array, types: Uint8Array, values: Float64Array): number;
}

/** One view of a history: merged per item, in first-seen (newest-first) order. */
interface ViewHistory {
  readonly items: Int32Array;
  readonly values: Float32Array;
  length: number;
  /** The entries above zero, for the models that only read interest. */
  readonly positiveItems: Int32Array;
  readonly positiveValues: Float32Array;
  positiveLength: number;
}

export interface RecommenderOptions {
  /** Most interactions read per user (to find everything they have seen); default 10,000. */
  readonly maxHistory?: number;
  /** Folded-in user vectors kept between requests; default 100,000. */
  readonly vectorCacheSize?: number;
  /**
   * Vectors to use instead of folding in (the search passes iALS's own user factors for
   * users whose history is exactly their training row).
   */
  readonly knownUserVector?: (user: number) => Float32Array | undefined;
}

/** Users folded in between two yields of `warmVectors` (about a millisecond). */
const WARM_SLICE = 16;

const EMPTY: Ranked = { indices: new Int32Array(0), scores: new Float32Array(0) };

/**
 * Serves a trained pipeline: reads a user's latest interactions, turns them into each
 * model's input, scores every known item with every model, blends the z-normalized
 * scores with the pipeline's weights, removes what the user has seen and what the gate
 * blocks, and keeps the k best. Nothing is precomputed per user, so an interaction
 * recorded a moment ago already counts: iALS folds the user's vector in from their
 * history (cached until the history changes), the item-item models and EASE score the
 * history directly.
 *
 * All scratch memory is allocated once per recommender; a call allocates only its
 * result. Not re-entrant, which JavaScript's single thread guarantees.
 */
export class Recommender {
  private readonly maxHistory: number;
  private readonly historyItems: Int32Array;
  private readonly historyTypes: Uint8Array;
  private readonly historyValues: Float64Array;
  private readonly views: Map<InteractionView, ViewHistory>;
  private readonly accumulator: Float64Array;
  private readonly touched: Int32Array;
  private readonly touchedMark: Uint8Array;
  private readonly seen: Uint8Array;
  private readonly seenList: Int32Array;
  private readonly scores: Float32Array<ArrayBuffer>[];
  private readonly blended: Float32Array;
  private readonly easeScratch: EaseDualScratch | undefined;
  private readonly foldIn: FoldInSolver | undefined;
  private readonly vectors = new Map<number, { version: number; vector: Float32Array }>();
  private readonly vectorCacheSize: number;
  private readonly exclusion: ExclusionSet;
  private readonly knownUserVector: ((user: number) => Float32Array | undefined) | undefined;
  /** Set while `similar` scores: iALS then ranks by the cosine of item factors. */
  private similarTo = -1;
  private itemNorms: Float32Array | undefined;
  /** Approximate top-k over iALS's factors, when attached (large catalogs). */
  private ann: IvfSearcher | undefined;
  private partitions: ReadonlyMap<string, IvfSearcher> = new Map();

  constructor(
    readonly model: PipelineModel,
    readonly types: InteractionTypes,
    options: RecommenderOptions = {},
  ) {
    const items = model.itemCount;
    const limit = model.config.historyLimit;
    this.maxHistory = Math.max(limit, options.maxHistory ?? 10_000);
    this.vectorCacheSize = options.vectorCacheSize ?? 100_000;
    this.historyItems = new Int32Array(this.maxHistory);
    this.historyTypes = new Uint8Array(this.maxHistory);
    this.historyValues = new Float64Array(this.maxHistory);
    this.views = new Map();
    for (const component of model.components) {
      if (this.views.has(component.config.view)) continue;
      this.views.set(component.config.view, {
        items: new Int32Array(limit),
        values: new Float32Array(limit),
        length: 0,
        positiveItems: new Int32Array(limit),
        positiveValues: new Float32Array(limit),
        positiveLength: 0,
      });
    }
    this.accumulator = new Float64Array(items);
    this.touched = new Int32Array(Math.min(items, limit));
    this.touchedMark = new Uint8Array(items);
    this.seen = new Uint8Array(items);
    this.seenList = new Int32Array(this.maxHistory);
    this.scores = model.components.map(() => new Float32Array(items));
    this.blended = new Float32Array(items);
    const ease = model.components.find((c) => c.kind === 'ease');
    this.easeScratch = ease?.kind === 'ease' && ease.dual ? easeDualScratch(ease.dual) : undefined;
    const ials = model.components.find((c) => c.kind === 'ials');
    this.foldIn = ials?.kind === 'ials' ? new FoldInSolver(ials.ials.factors) : undefined;
    this.exclusion = new ExclusionSet(this.seen);
    this.knownUserVector = options.knownUserVector;
  }

  get itemCount(): number {
    return this.model.itemCount;
  }

  /**
   * iALS's factors when the pipeline ranks by them alone (one iALS component), so an
   * inner-product index can stand in for scoring every item; undefined otherwise.
   */
  get annFactors(): IalsFactors | undefined {
    const only = this.model.components.length === 1 ? this.model.components[0] : undefined;
    return only?.kind === 'ials' && only.config.weight > 0 ? only.ials : undefined;
  }

  /** Serves `recommend` from this index from now on (undefined: exact again). */
  useIndex(index: IvfIndex | undefined, options?: IvfSearchOptions): void {
    const ials = this.annFactors;
    if (index !== undefined && (ials === undefined || index.factors !== ials.factors))
      throw new Error('the index does not match the pipeline');
    this.ann = index === undefined ? undefined : new IvfSearcher(index, options);
  }

  /**
   * Per-category indexes (same factors, each over one category's items): a request whose
   * filter keeps only items of a category searches that category's index instead of
   * ranking every item and filtering afterwards.
   */
  usePartitions(indexes: ReadonlyMap<string, IvfIndex>, options?: IvfSearchOptions): void {
    const ials = this.annFactors;
    const searchers = new Map<string, IvfSearcher>();
    for (const [category, index] of indexes) {
      if (ials === undefined || index.factors !== ials.factors)
        throw new Error('the index does not match the pipeline');
      searchers.set(category, new IvfSearcher(index, options));
    }
    this.partitions = searchers;
  }

  get partitionCount(): number {
    return this.partitions.size;
  }

  /** The categories with an index of their own. */
  get partitionNames(): string[] {
    return [...this.partitions.keys()];
  }

  get usesIndex(): boolean {
    return this.ann !== undefined;
  }

  /**
   * The k best items for a user, or undefined when their history gives nothing to go on
   * (no interactions with known items): callers then fall back to trending.
   * `cacheKey` identifies the user across calls (their index; null: no caching, for
   * callers that read different histories for one user); the folded-in vector is reused
   * while the user's history stays the same. With an index attached, the top-k comes
   * from it unless `exact`. `within` names categories the caller keeps items of only (it
   * filters afterwards): with a category index for one of them, the search is that index's.
   */
  recommend(
    reader: HistoryReader,
    user: number,
    k: number,
    blocked?: IndexSet,
    cacheKey: number | null = user,
    exact = false,
    within?: readonly string[],
  ): Ranked | undefined {
    const count = reader.readRecent(user, this.historyItems, this.historyTypes, this.historyValues);
    return this.rankHistory(count, k, blocked, cacheKey ?? undefined, undefined, exact, within);
  }

  /**
   * Each model's raw (unblended) scores for a user, and the mask of what they have seen,
   * handed to `visit` while valid. False when the history gives nothing to go on.
   */
  componentScores(
    reader: HistoryReader,
    user: number,
    visit: (scores: readonly Float32Array[], seen: Uint8Array) => void,
    cacheKey?: number,
  ): boolean {
    const count = reader.readRecent(user, this.historyItems, this.historyTypes, this.historyValues);
    return (
      this.rankHistory(count, 0, undefined, cacheKey, () => visit(this.scores, this.seen)) !==
      undefined
    );
  }

  /**
   * Items like this one: the pipeline's scores for a history of just this item (EASE's
   * row of B, the item-item models' neighbours), with iALS contributing the cosine of
   * item factors.
   */
  similar(item: number, k: number, blocked?: IndexSet): Ranked | undefined {
    if (item < 0 || item >= this.model.itemCount) return undefined;
    for (const view of this.views.values()) {
      view.items[0] = item;
      view.values[0] = 1;
      view.length = 1;
      view.positiveItems[0] = item;
      view.positiveValues[0] = 1;
      view.positiveLength = 1;
    }
    this.seen[item] = 1;
    this.seenList[0] = item;
    this.similarTo = item;
    try {
      this.scoreAll(undefined, 0);
      return this.select(k, blocked);
    } finally {
      this.seen[item] = 0;
      this.similarTo = -1;
    }
  }

  /**
   * Folds in and keeps the iALS vectors of users 0 .. users-1 (as many as the cache
   * holds), yielding every few dozen, so that after a swap their first requests do not
   * each pay for a fold-in. Users without usable history are skipped.
   */
  *warmVectors(reader: HistoryReader, users: number): Generator<void, number, void> {
    const ials = this.annFactors;
    if (ials === undefined) return 0;
    const component = this.model.components[0]!;
    const history = this.views.get(component.config.view)!;
    const last = Math.min(users, this.vectorCacheSize);
    let warmed = 0;
    for (let user = 0; user < last; user++) {
      const count = this.readView(reader, user, component.config.view, history);
      if (history.positiveLength > 0) {
        this.userVector(ials, history, user, this.historyVersion(count));
        warmed++;
      }
      if (user % WARM_SLICE === WARM_SLICE - 1) yield;
    }
    return warmed;
  }

  /**
   * Folds in the iALS vector of every user 0 .. users-1 with usable history, exactly as a
   * request would, for `PipelineModel.userVectors` (the trainer does this off the event
   * loop). Undefined when the pipeline has no iALS component.
   */
  foldInUsers(reader: HistoryReader, users: number): UserVectors | undefined {
    const component = this.model.components.find((c) => c.kind === 'ials');
    if (component?.kind !== 'ials') return undefined;
    const { factors } = component.ials;
    const history = this.views.get(component.config.view)!;
    const vectors = new Float32Array(users * factors);
    const versions = new Float64Array(users);
    for (let user = 0; user < users; user++) {
      const count = this.readView(reader, user, component.config.view, history);
      if (history.positiveLength === 0) continue;
      this.foldIn!.solve(
        component.ials,
        history.items,
        history.values,
        history.length,
        vectors.subarray(user * factors, (user + 1) * factors),
      );
      versions[user] = this.historyVersion(count);
    }
    return { users, factors, vectors, versions };
  }

  /**
   * Ranks users 0 .. users-1's lists, `depth` deep, as a request without blocked items
   * would, while `keepGoing` says so (a time budget): for `PipelineModel.userLists`.
   */
  rankUsersAhead(
    reader: HistoryReader,
    users: number,
    depth: number,
    keepGoing: () => boolean,
  ): UserLists {
    const indices = new Int32Array(users * depth);
    const scores = new Float32Array(users * depth);
    const lengths = new Int32Array(users).fill(-1);
    const versions = new Float64Array(users);
    for (let user = 0; user < users && keepGoing(); user++) {
      const count = reader.readRecent(
        user,
        this.historyItems,
        this.historyTypes,
        this.historyValues,
      );
      if (count === 0) continue;
      const version = this.historyVersion(count);
      const ranked = this.rankHistory(count, depth, undefined, user);
      if (ranked === undefined) continue;
      indices.set(ranked.indices, user * depth);
      scores.set(ranked.scores, user * depth);
      lengths[user] = ranked.indices.length;
      versions[user] = version;
    }
    return { users, depth, indices, scores, lengths, versions };
  }

  /**
   * The user's list ranked at training time, `depth` deep, if their history is still
   * the one it was ranked from; undefined otherwise.
   */
  listRankedAhead(reader: HistoryReader, user: number): Ranked | undefined {
    const lists = this.model.userLists;
    if (lists === undefined || user >= lists.users || (lists.lengths[user] ?? -1) < 0)
      return undefined;
    const count = reader.readRecent(user, this.historyItems, this.historyTypes, this.historyValues);
    if (count === 0 || this.historyVersion(count) !== lists.versions[user]) return undefined;
    const from = user * lists.depth;
    const to = from + lists.lengths[user]!;
    return { indices: lists.indices.subarray(from, to), scores: lists.scores.subarray(from, to) };
  }

  /** The depth of the lists ranked at training time (0: none). */
  get listDepthAhead(): number {
    return this.model.userLists?.depth ?? 0;
  }

  /** Reads a user's history into the buffers and merges it into one view; returns its length. */
  private readView(
    reader: HistoryReader,
    user: number,
    view: InteractionView,
    history: ViewHistory,
  ): number {
    const count = reader.readRecent(user, this.historyItems, this.historyTypes, this.historyValues);
    this.mergeView(view, history, Math.min(count, this.model.config.historyLimit));
    return count;
  }

  /** Ranks the `count` entries in the history buffers (newest first). */
  private rankHistory(
    count: number,
    k: number,
    blocked: IndexSet | undefined,
    cacheKey: number | undefined,
    visit?: () => void,
    exact = true,
    within?: readonly string[],
  ): Ranked | undefined {
    const items = this.model.itemCount;
    let seenCount = 0;
    for (let position = 0; position < count; position++) {
      const item = this.historyItems[position]!;
      if (item < 0 || item >= items) continue;
      if (this.types.seenMask[this.historyTypes[position]!] !== 1) continue;
      if (this.seen[item] === 1) continue;
      this.seen[item] = 1;
      this.seenList[seenCount++] = item;
    }
    try {
      const usable = Math.min(count, this.model.config.historyLimit);
      let positives = 0;
      for (const [view, history] of this.views) {
        this.mergeView(view, history, usable);
        positives += history.positiveLength;
      }
      if (positives === 0) return undefined;
      if (visit !== undefined) {
        const version = this.historyVersion(count);
        this.model.components.forEach((component, index) =>
          this.scoreComponent(component, this.scores[index]!, cacheKey, version),
        );
        visit();
        return EMPTY;
      }
      if (!exact && this.ann !== undefined && k > 0)
        return this.searchIndex(k, blocked, cacheKey, count, this.partitionFor(within));
      this.scoreAll(cacheKey, this.historyVersion(count));
      return this.select(k, blocked);
    } finally {
      for (let i = 0; i < seenCount; i++) this.seen[this.seenList[i]!] = 0;
    }
  }

  /**
   * Changes whenever the user's history does: its length, and (for histories longer than
   * the buffers, whose length stops growing) its newest entry.
   */
  private historyVersion(count: number): number {
    if (count === 0) return 0;
    const newest =
      this.historyItems[0]! * 257 + this.historyTypes[0]! + (this.historyValues[0]! || 0) * 1e-3;
    return count * 1_000_003 + newest;
  }

  private mergeView(view: InteractionView, history: ViewHistory, usable: number): void {
    const items = this.model.itemCount;
    let touched = 0;
    for (let position = 0; position < usable; position++) {
      const item = this.historyItems[position]!;
      if (item < 0 || item >= items) continue;
      const value = eventValue(
        this.types,
        view,
        this.historyTypes[position]!,
        this.historyValues[position]!,
      );
      if (this.touchedMark[item] === 0) {
        this.touchedMark[item] = 1;
        this.touched[touched++] = item;
      }
      this.accumulator[item]! += value;
    }
    history.length = 0;
    history.positiveLength = 0;
    for (let t = 0; t < touched; t++) {
      const item = this.touched[t]!;
      const value = mergedValue(view, this.accumulator[item]!);
      this.accumulator[item] = 0;
      this.touchedMark[item] = 0;
      if (value === 0) continue;
      history.items[history.length] = item;
      history.values[history.length++] = value;
      if (value > 0) {
        history.positiveItems[history.positiveLength] = item;
        history.positiveValues[history.positiveLength++] = value;
      }
    }
  }

  /** Scores every component into its buffer and blends them into `blended`. */
  private scoreAll(cacheKey: number | undefined, version: number): void {
    const { components } = this.model;
    components.forEach((component, index) =>
      this.scoreComponent(component, this.scores[index]!, cacheKey, version),
    );
    const blended = this.blended;
    const only = components.length === 1 ? components[0] : undefined;
    if (only !== undefined && only.config.weight > 0) {
      blended.set(this.scores[0]!);
      return;
    }
    blended.fill(0);
    components.forEach((component, index) =>
      accumulateNormalized(
        this.scores[index]!,
        component.config.weight,
        this.seen,
        blended,
        this.model.itemCount,
      ),
    );
  }

  private scoreComponent(
    component: ComponentModel,
    out: Float32Array<ArrayBuffer>,
    cacheKey: number | undefined,
    version: number,
  ): void {
    const history = this.views.get(component.config.view)!;
    const positives = history.positiveItems.subarray(0, history.positiveLength);
    const positiveValues = history.positiveValues.subarray(0, history.positiveLength);
    switch (component.kind) {
      case 'ials': {
        if (this.similarTo >= 0) {
          this.itemNorms ??= factorNorms(component.ials);
          scoreCosine(component.ials, this.itemNorms, this.similarTo, out);
          return;
        }
        const vector = this.userVector(component.ials, history, cacheKey, version);
        scoreFactors(component.ials, vector, out);
        return;
      }
      case 'ease':
        if (component.dual)
          scoreEaseDual(component.dual, positives, positiveValues, out, this.easeScratch);
        else if (component.primal) scoreEase(component.primal, positives, positiveValues, out);
        return;
      case 'rp3beta':
      case 'item-knn':
        out.fill(0);
        scoreFromHistory(component.neighbours, positives, positiveValues, out);
        return;
      case 'popularity':
        out.set(component.scores);
        return;
    }
  }

  private userVector(
    ials: IalsFactors,
    history: ViewHistory,
    cacheKey: number | undefined,
    version: number,
  ): Float32Array {
    if (cacheKey !== undefined) {
      const known = this.knownUserVector?.(cacheKey);
      if (known !== undefined) return known;
      const trained = this.model.userVectors;
      if (
        trained !== undefined &&
        cacheKey < trained.users &&
        trained.versions[cacheKey] === version &&
        version !== 0
      )
        return trained.vectors.subarray(
          cacheKey * trained.factors,
          (cacheKey + 1) * trained.factors,
        );
      const cached = this.vectors.get(cacheKey);
      if (cached !== undefined && cached.version === version) return cached.vector;
    }
    const vector = new Float32Array(ials.factors);
    this.foldIn!.solve(ials, history.items, history.values, history.length, vector);
    if (cacheKey !== undefined) {
      if (this.vectors.size >= this.vectorCacheSize) {
        const oldest = this.vectors.keys().next();
        if (!oldest.done) this.vectors.delete(oldest.value);
      }
      this.vectors.delete(cacheKey);
      this.vectors.set(cacheKey, { version, vector });
    }
    return vector;
  }

  /** The smallest category index among `within`'s. */
  private partitionFor(within: readonly string[] | undefined): IvfSearcher | undefined {
    if (within === undefined) return undefined;
    let best: IvfSearcher | undefined;
    for (const category of within) {
      const searcher = this.partitions.get(category);
      if (searcher !== undefined && (best === undefined || searcher.index.items < best.index.items))
        best = searcher;
    }
    return best;
  }

  /** The index's top-k for the user's iALS vector (the pipeline is iALS alone). */
  private searchIndex(
    k: number,
    blocked: IndexSet | undefined,
    cacheKey: number | undefined,
    count: number,
    searcher: IvfSearcher = this.ann!,
  ): Ranked {
    const component = this.model.components[0]!;
    const ials = this.annFactors!;
    const history = this.views.get(component.config.view)!;
    const vector = this.userVector(ials, history, cacheKey, this.historyVersion(count));
    this.exclusion.blocked = blocked;
    try {
      return searcher.search(vector, k, this.exclusion);
    } finally {
      this.exclusion.blocked = undefined;
    }
  }

  private select(k: number, blocked: IndexSet | undefined): Ranked {
    if (k <= 0) return EMPTY;
    const blended = this.blended;
    this.exclusion.blocked = blocked;
    const ranked = topK(blended, k, this.exclusion);
    this.exclusion.blocked = undefined;
    return ranked;
  }
}

/** Seen items, then whatever the caller blocks (hidden, unavailable, deleted...). */
class ExclusionSet implements IndexSet {
  blocked: IndexSet | undefined;
  constructor(private readonly seen: Uint8Array) {}
  has(index: number): boolean {
    return this.seen[index] === 1 || (this.blocked !== undefined && this.blocked.has(index));
  }
}

/**
 * blended += weight · z(scores), with mean and deviation taken over the candidates
 * (finite scores of items not seen). Non-candidates get the lowest candidate's value,
 * so a model that cannot score an item neither helps nor vetoes it.
 */
export function accumulateNormalized(
  scores: Float32Array,
  weight: number,
  seen: Uint8Array,
  blended: Float32Array,
  length: number,
): void {
  if (weight === 0) return;
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let index = 0; index < length; index++) {
    const score = scores[index]!;
    if (seen[index] === 1 || !Number.isFinite(score)) continue;
    count++;
    sum += score;
    sumSquares += score * score;
    if (score < lowest) lowest = score;
  }
  if (count === 0) return;
  const mean = sum / count;
  const deviation = Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
  if (!(deviation > 0)) return;
  const scale = weight / deviation;
  const floor = (lowest - mean) * scale;
  for (let index = 0; index < length; index++) {
    const score = scores[index]!;
    blended[index]! += Number.isFinite(score) ? (score - mean) * scale : floor;
  }
}

/** Dot product of the vector with every item's factors. */
export function scoreFactors(ials: IalsFactors, vector: Float32Array, out: Float32Array): void {
  const { factors, itemFactors, items } = ials;
  // Four running sums: one sum waits on its own previous addition each step, which made
  // scoring a catalog latency-bound (about 2 ns a multiply-add here); four do not.
  const whole = factors - (factors % 4);
  for (let item = 0; item < items; item++) {
    const base = item * factors;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    let f = 0;
    for (; f < whole; f += 4) {
      sum0 += itemFactors[base + f]! * vector[f]!;
      sum1 += itemFactors[base + f + 1]! * vector[f + 1]!;
      sum2 += itemFactors[base + f + 2]! * vector[f + 2]!;
      sum3 += itemFactors[base + f + 3]! * vector[f + 3]!;
    }
    for (; f < factors; f++) sum0 += itemFactors[base + f]! * vector[f]!;
    out[item] = sum0 + sum1 + (sum2 + sum3);
  }
  out.fill(0, items);
}

/** Euclidean norm of every item's factor row. */
function factorNorms(ials: IalsFactors): Float32Array {
  const { factors, itemFactors, items } = ials;
  const norms = new Float32Array(items);
  for (let item = 0; item < items; item++) {
    let sum = 0;
    for (let f = 0; f < factors; f++) sum += itemFactors[item * factors + f]! ** 2;
    norms[item] = Math.sqrt(sum);
  }
  return norms;
}

/** Cosine of every item's factors with one item's: iALS's item-to-item similarity. */
function scoreCosine(
  ials: IalsFactors,
  norms: Float32Array,
  query: number,
  out: Float32Array,
): void {
  const { factors, itemFactors, items } = ials;
  const base = query * factors;
  const queryNorm = norms[query]!;
  for (let item = 0; item < items; item++) {
    const norm = norms[item]! * queryNorm;
    if (!(norm > 0)) {
      out[item] = 0;
      continue;
    }
    let dot = 0;
    const row = item * factors;
    for (let f = 0; f < factors; f++) dot += itemFactors[row + f]! * itemFactors[base + f]!;
    out[item] = dot / norm;
  }
  out.fill(0, items);
}

/**
 * The least-squares step iALS takes for one user with the item factors fixed,
 *   (YᵀY + λ_u I + Σ alpha|w| y yᵀ) x = Σ_{w>0} (1 + alpha w) y,
 * exactly as `foldInUser`, but into preallocated memory.
 */
export class FoldInSolver {
  private readonly system: Float64Array;
  private readonly rhs: Float64Array;

  constructor(private readonly factors: number) {
    this.system = new Float64Array(factors * factors);
    this.rhs = new Float64Array(factors);
  }

  solve(
    model: IalsFactors,
    items: Int32Array,
    weights: Float32Array,
    length: number,
    out: Float32Array,
  ): void {
    const { factors, system, rhs } = this;
    const { itemFactors, alpha } = model;
    system.set(model.itemGram);
    rhs.fill(0);
    const regularization =
      model.regularization * Math.pow(Math.max(1, length), model.regularizationExponent);
    for (let f = 0; f < factors; f++) system[f * factors + f]! += regularization;
    // The history's items two at a time: each pass over the system's upper triangle (it
    // is mirrored below) adds both items' outer products, half the loads and stores of
    // one item a pass.
    let pending = -1;
    for (let position = 0; position < length; position++) {
      const item = items[position]!;
      if (item >= model.items) continue;
      const weight = weights[position]!;
      const base = item * factors;
      if (weight > 0) {
        const gain = 1 + alpha * weight;
        for (let i = 0; i < factors; i++) rhs[i]! += gain * itemFactors[base + i]!;
      }
      if (pending < 0) {
        pending = position;
        continue;
      }
      const other = items[pending]! * factors;
      const otherExcess = alpha * Math.abs(weights[pending]!);
      const excess = alpha * Math.abs(weight);
      pending = -1;
      for (let i = 0; i < factors; i++) {
        const scaled = excess * itemFactors[base + i]!;
        const otherScaled = otherExcess * itemFactors[other + i]!;
        const row = i * factors;
        for (let j = i; j < factors; j++)
          system[row + j]! +=
            scaled * itemFactors[base + j]! + otherScaled * itemFactors[other + j]!;
      }
    }
    if (pending >= 0) {
      const base = items[pending]! * factors;
      const excess = alpha * Math.abs(weights[pending]!);
      for (let i = 0; i < factors; i++) {
        const scaled = excess * itemFactors[base + i]!;
        const row = i * factors;
        for (let j = i; j < factors; j++) system[row + j]! += scaled * itemFactors[base + j]!;
      }
    }
    for (let i = 0; i < factors; i++)
      for (let j = 0; j < i; j++) system[i * factors + j] = system[j * factors + i]!;
    choleskyInPlace(system, factors);
    choleskySolveInPlace(system, factors, rhs);
    for (let f = 0; f < factors; f++) out[f] = rhs[f]!;
  }
}
