import type { CandidateSet } from './candidate-set.js';
import type { CatalogView, CategoryIndex } from './category-index.js';
import type { ItemActivity } from './item-activity.js';
import { SOURCE_NAMES } from '../domain/scenario.js';
import { SOURCE_COUNT } from './sources.js';

/**
 * The ranker's inputs, one row per candidate. The first SOURCE_COUNT are the sources'
 * scores, min-max normalized over the request's candidates (0 when a source did not
 * propose the item); the rest are real-time item features and the user's affinity.
 */
export const FEATURE_NAMES: readonly string[] = [
  ...SOURCE_NAMES.map((name) => `source.${name}`),
  'popularity',
  'activity.1h',
  'activity.24h',
  'ctr.1h',
  'ctr.24h',
  'recency',
  'freshness',
  'affinity',
];

export const FEATURE_COUNT = FEATURE_NAMES.length;

const POPULARITY = SOURCE_COUNT;
const ACTIVITY_SHORT = SOURCE_COUNT + 1;
const ACTIVITY_LONG = SOURCE_COUNT + 2;
const CTR_SHORT = SOURCE_COUNT + 3;
const CTR_LONG = SOURCE_COUNT + 4;
const RECENCY = SOURCE_COUNT + 5;
const FRESHNESS = SOURCE_COUNT + 6;
const AFFINITY = SOURCE_COUNT + 7;

/** A click-through rate prior: shrinks rates of rarely shown items toward 5%. */
const CTR_PRIOR = 0.05;
const CTR_PRIOR_WEIGHT = 20;
const RECENCY_SECONDS = 7 * 86_400;
const FRESHNESS_SECONDS = 30 * 86_400;

export interface FeatureSources {
  readonly catalog: CatalogView;
  readonly categories: CategoryIndex;
  readonly activity: ItemActivity;
  /** All-time interaction count of an item. */
  totalInteractions(item: number): number;
  /** Unix seconds of the item's latest interaction (0: none). */
  lastInteractionAt(item: number): number;
}

/**
 * Writes the feature rows of every live candidate into `out` (slot-major). `affinity`
 * holds the user's share of interest per category id (zeros for no user).
 */
export function computeFeatures(
  set: CandidateSet,
  sources: FeatureSources,
  affinity: Float32Array,
  now: number,
  out: Float32Array,
): void {
  normalizeSources(set, out);
  for (let slot = 0; slot < set.count; slot++)
    if (set.alive(slot)) computeItemFeatures(set, sources, affinity, now, out, slot);
}

/**
 * The real-time item features and the affinity of one candidate (its source features
 * come from `normalizeSources`). The blend reads only the source features, so without a
 * ranker only the served page needs these, for the ranker's training rows.
 */
export function computeItemFeatures(
  set: CandidateSet,
  sources: FeatureSources,
  affinity: Float32Array,
  now: number,
  out: Float32Array,
  slot: number,
): void {
  const { activity, categories, catalog } = sources;
  const item = set.items[slot]!;
  const row = slot * FEATURE_COUNT;
  out[row + POPULARITY] = Math.log1p(sources.totalInteractions(item));
  out[row + ACTIVITY_SHORT] = Math.log1p(activity.interactionsShort.value(item, now));
  out[row + ACTIVITY_LONG] = Math.log1p(activity.interactionsLong.value(item, now));
  out[row + CTR_SHORT] = smoothedRate(
    activity.clicksShort.value(item, now),
    activity.impressionsShort.value(item, now),
  );
  out[row + CTR_LONG] = smoothedRate(
    activity.clicksLong.value(item, now),
    activity.impressionsLong.value(item, now),
  );
  const last = sources.lastInteractionAt(item);
  out[row + RECENCY] = last > 0 ? Math.exp(-Math.max(0, now - last) / RECENCY_SECONDS) : 0;
  const created = catalog.at(item)?.createdAt;
  out[row + FRESHNESS] =
    created === undefined ? 0 : Math.exp(-Math.max(0, now - created / 1000) / FRESHNESS_SECONDS);
  let best = 0;
  if (item < categories.itemCount) {
    for (let at = categories.itemOffsets[item]!; at < categories.itemOffsets[item + 1]!; at++) {
      const share = affinity[categories.itemCategories[at]!] ?? 0;
      if (share > best) best = share;
    }
  }
  out[row + AFFINITY] = best;
}

function smoothedRate(clicks: number, impressions: number): number {
  return (clicks + CTR_PRIOR * CTR_PRIOR_WEIGHT) / (impressions + CTR_PRIOR_WEIGHT);
}

/** Each source's scores scaled to [0, 1] over the live candidates it proposed. */
export function normalizeSources(set: CandidateSet, out: Float32Array): void {
  for (let source = 0; source < SOURCE_COUNT; source++) {
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (let slot = 0; slot < set.count; slot++) {
      if (!set.alive(slot) || set.rank(slot, source) === 0) continue;
      const score = set.sourceScore(slot, source);
      if (!Number.isFinite(score)) continue;
      if (score < low) low = score;
      if (score > high) high = score;
    }
    const range = high - low;
    for (let slot = 0; slot < set.count; slot++) {
      if (!set.alive(slot)) continue;
      const at = slot * FEATURE_COUNT + source;
      if (set.rank(slot, source) === 0) {
        out[at] = 0;
        continue;
      }
      const score = set.sourceScore(slot, source);
      out[at] = !Number.isFinite(score) ? 0 : range > 0 ? (score - low) / range : 1;
    }
  }
}
