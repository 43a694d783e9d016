import type { StoredEvent } from '../core/events/envelope.js';
import { EventTypes, type InteractionRecordedPayload } from '../core/events/event-types.js';
import type { ReadModels } from '../core/projections/read-models.js';
import type { IalsFactors } from '../core/recommend/components.js';
import { eventValue, mergedValue } from '../core/recommend/interaction-views.js';
import { FoldInSolver, type Recommender } from '../core/recommend/recommender.js';
import type { SearchIndex } from '../core/search/index.js';
import type { SearchBlend } from './search-settings.js';

const DAY_MS = 86_400_000;
const VECTOR_CACHE_SIZE = 10_000;

/** The parts of one hit's score, for `explain=true`. */
export interface BlendExplanation {
  readonly text: number;
  readonly popularity: number;
  readonly recency: number;
  /** Null when no user was named or the models have no vector for them. */
  readonly affinity: number | null;
  readonly categories: number | null;
  /** `1 + Σ weight × signal`. */
  readonly multiplier: number;
  readonly score: number;
}

/** One request's scoring: the user's parts computed once, then a cheap call per hit. */
export interface Booster {
  /** True when a user's parts take part (affinity or categories). */
  readonly personalized: boolean;
  /** `boost(doc, text) ≤ text × ceiling` for every item: each signal is at most 1. */
  readonly ceiling: number;
  boost(doc: number, text: number): number;
  explain(doc: number, text: number): BlendExplanation;
}

/**
 * Blends text relevance with popularity and recency (the same for everyone) and, for a
 * named user, the cosine of their vector with the item's (the trained model's iALS
 * factors, the user folded in from their latest history) and their category affinity
 * (share of their recent positive interactions in the item's categories). Everything
 * per user is computed once per request into typed arrays; per hit it is arithmetic.
 */
export class SearchPersonalizer {
  private readonly popularityOf: Float64Array;
  private popularity = new Float64Array(0);
  private maxPopularityLog = 0;
  private readonly historyItems = new Int32Array(10_000);
  private readonly historyTypes = new Uint8Array(10_000);
  private readonly historyValues = new Float64Array(10_000);
  private readonly itemNorms = new WeakMap<IalsFactors, Float32Array>();
  private readonly vectors = new Map<number, { key: string; vector: Float32Array }>();
  private vectorModel: IalsFactors | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly readModels: ReadModels,
    private readonly search: SearchIndex,
    private readonly recommender: () => Recommender | undefined,
  ) {
    // Positive weight of each interaction type: what counts as popularity.
    const weights = readModels.interactionTypes.weights;
    this.popularityOf = Float64Array.from(weights, (weight) => Math.max(0, weight));
  }

  /** Reads popularity from the counters and follows every interaction applied after. */
  start(): void {
    for (let item = 0; item < this.readModels.catalog.capacity; item++)
      this.refreshPopularity(item);
    this.unsubscribe = this.readModels.onApplied((events) => this.onApplied(events));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** A booster for one request; `user` is the dense user index, undefined for anonymous. */
  prepare(blend: SearchBlend, user: number | undefined, now: number): Booster {
    const catalog = this.readModels.catalog;
    const popularity = this.popularity;
    const maxLog = this.maxPopularityLog;
    const decay = Math.LN2 / (blend.recencyHalfLifeDays * DAY_MS);
    const shares =
      user === undefined || blend.categories === 0 ? undefined : this.categoryShares(user, blend);
    const categoryColumn = shares === undefined ? undefined : this.search.facetColumn('categories');
    const vector = user === undefined || blend.affinity === 0 ? undefined : this.userVector(user);

    const popularityPart = (doc: number): number =>
      maxLog > 0 && doc < popularity.length ? Math.log1p(popularity[doc]!) / maxLog : 0;
    const recencyPart = (doc: number): number => {
      const item = catalog.at(doc);
      if (item === undefined) return 0;
      return Math.exp(-decay * Math.max(0, now - item.createdAt));
    };
    const categoryPart = (doc: number): number => {
      if (shares === undefined || categoryColumn === undefined) return 0;
      const { lists } = categoryColumn;
      const length = lists.length(doc);
      if (length === 0) return 0;
      const from = lists.offset(doc);
      let best = 0;
      for (let k = from; k < from + length; k++) {
        const share = shares[lists.data[k]!] ?? 0;
        if (share > best) best = share;
      }
      return best;
    };
    const affinityPart = (doc: number): number => {
      if (vector === undefined) return 0;
      const { ials, user: userVector, norms, userNorm } = vector;
      if (doc >= ials.items || !(norms[doc]! > 0)) return 0;
      const base = doc * ials.factors;
      let dot = 0;
      for (let f = 0; f < ials.factors; f++) dot += ials.itemFactors[base + f]! * userVector[f]!;
      return Math.max(0, dot / (norms[doc]! * userNorm));
    };
    const multiplier = (doc: number): number => {
      let m = 1;
      if (blend.popularity !== 0) m += blend.popularity * popularityPart(doc);
      if (blend.recency !== 0) m += blend.recency * recencyPart(doc);
      if (vector !== undefined) m += blend.affinity * affinityPart(doc);
      if (shares !== undefined) m += blend.categories * categoryPart(doc);
      return m;
    };
    // Popularity is 0 for every item until one has an interaction; the margin covers
    // rounding in the cosine and the shares, which may land a hair above 1.
    const ceiling =
      (1 +
        (maxLog > 0 ? blend.popularity : 0) +
        blend.recency +
        (vector !== undefined ? blend.affinity : 0) +
        (shares !== undefined ? blend.categories : 0)) *
      (1 + 1e-6);
    return {
      personalized: vector !== undefined || shares !== undefined,
      ceiling,
      boost: (doc, text) => text * multiplier(doc),
      explain: (doc, text) => {
        const m = multiplier(doc);
        return {
          text,
          popularity: popularityPart(doc),
          recency: recencyPart(doc),
          affinity: vector === undefined ? null : affinityPart(doc),
          categories: shares === undefined ? null : categoryPart(doc),
          multiplier: m,
          score: text * m,
        };
      },
    };
  }

  /**
   * Per category value id, the share of the user's recent positive signal that went to
   * items of that category (an item in two categories counts for both).
   */
  private categoryShares(user: number, blend: SearchBlend): Float32Array | undefined {
    const column = this.search.facetColumn('categories');
    if (column === undefined) return undefined;
    const limit = Math.min(blend.historyLimit, this.historyItems.length);
    const count = this.readModels.histories.readRecent(
      user,
      this.historyItems.subarray(0, limit),
      this.historyTypes.subarray(0, limit),
      this.historyValues.subarray(0, limit),
    );
    const shares = new Float32Array(column.valueCount);
    const types = this.readModels.interactionTypes;
    const { lists } = column;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const item = this.historyItems[i]!;
      const signal = eventValue(types, 'signal', this.historyTypes[i]!, this.historyValues[i]!);
      if (item < 0 || !(signal > 0)) continue;
      total += signal;
      const length = lists.length(item);
      const from = length > 0 ? lists.offset(item) : 0;
      for (let k = from; k < from + length; k++) shares[lists.data[k]!]! += signal;
    }
    if (total === 0) return undefined;
    for (let id = 0; id < shares.length; id++) shares[id]! /= total;
    return shares;
  }

  /**
   * The user's iALS vector, folded in from their latest history exactly as serving does
   * (same view, same history limit), cached until their history or the model changes.
   */
  private userVector(
    user: number,
  ): { ials: IalsFactors; user: Float32Array; norms: Float32Array; userNorm: number } | undefined {
    const recommender = this.recommender();
    const component = recommender?.model.components.find((c) => c.kind === 'ials');
    if (recommender === undefined || component?.kind !== 'ials') return undefined;
    const ials = component.ials;
    if (this.vectorModel !== ials) {
      this.vectors.clear();
      this.vectorModel = ials;
    }
    const limit = Math.min(recommender.model.config.historyLimit, this.historyItems.length);
    const count = this.readModels.histories.readRecent(
      user,
      this.historyItems.subarray(0, limit),
      this.historyTypes.subarray(0, limit),
      this.historyValues.subarray(0, limit),
    );
    if (count === 0) return undefined;
    const key = `${count}:${this.historyItems[0]}:${this.historyTypes[0]}:${this.historyValues[0]}`;
    let vector = this.vectors.get(user);
    if (vector?.key !== key) {
      const folded = this.foldIn(ials, component.config.view, count);
      if (folded === undefined) return undefined;
      if (this.vectors.size >= VECTOR_CACHE_SIZE) {
        const oldest = this.vectors.keys().next();
        if (!oldest.done) this.vectors.delete(oldest.value);
      }
      vector = { key, vector: folded };
      this.vectors.set(user, vector);
    }
    let userNorm = 0;
    for (const value of vector.vector) userNorm += value * value;
    userNorm = Math.sqrt(userNorm);
    if (!(userNorm > 0)) return undefined;
    return { ials, user: vector.vector, norms: this.normsOf(ials), userNorm };
  }

  private foldIn(
    ials: IalsFactors,
    view: Parameters<typeof eventValue>[1],
    count: number,
  ): Float32Array | undefined {
    const types = this.readModels.interactionTypes;
    const merged = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const item = this.historyItems[i]!;
      if (item < 0 || item >= ials.items) continue;
      const value = eventValue(types, view, this.historyTypes[i]!, this.historyValues[i]!);
      merged.set(item, (merged.get(item) ?? 0) + value);
    }
    const items = new Int32Array(merged.size);
    const values = new Float32Array(merged.size);
    let length = 0;
    let positives = 0;
    for (const [item, sum] of merged) {
      const value = mergedValue(view, sum);
      if (value === 0) continue;
      if (value > 0) positives++;
      items[length] = item;
      values[length++] = value;
    }
    if (positives === 0) return undefined;
    const out = new Float32Array(ials.factors);
    new FoldInSolver(ials.factors).solve(ials, items, values, length, out);
    return out;
  }

  private normsOf(ials: IalsFactors): Float32Array {
    let norms = this.itemNorms.get(ials);
    if (norms === undefined) {
      norms = new Float32Array(ials.items);
      for (let item = 0; item < ials.items; item++) {
        let sum = 0;
        const base = item * ials.factors;
        for (let f = 0; f < ials.factors; f++) sum += ials.itemFactors[base + f]! ** 2;
        norms[item] = Math.sqrt(sum);
      }
      this.itemNorms.set(ials, norms);
    }
    return norms;
  }

  private onApplied(events: readonly StoredEvent[]): void {
    const ids = this.readModels.catalog.ids;
    for (const event of events) {
      if (event.type !== EventTypes.interactionRecorded.type) continue;
      const item = ids.indexOf((event.payload as InteractionRecordedPayload).itemId);
      if (item !== undefined) this.refreshPopularity(item);
    }
  }

  /** Positive-weighted interaction count of one item, and the catalog-wide maximum. */
  private refreshPopularity(item: number): void {
    if (item >= this.popularity.length) {
      const bigger = new Float64Array(Math.max(1024, (item + 1) * 2));
      bigger.set(this.popularity);
      this.popularity = bigger;
    }
    const counters = this.readModels.itemCounters;
    let weighted = 0;
    for (let type = 0; type < this.popularityOf.length; type++) {
      const weight = this.popularityOf[type]!;
      if (weight > 0) weighted += weight * counters.count(item, type);
    }
    this.popularity[item] = weighted;
    const log = Math.log1p(weighted);
    if (log > this.maxPopularityLog) this.maxPopularityLog = log;
  }
}
