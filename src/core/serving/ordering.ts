import type { Diversity } from '../domain/scenario.js';
import type { Random } from '../models/random.js';
import type { CandidateSet } from './candidate-set.js';
import type { CategoryIndex } from './category-index.js';
import { SOURCE_COUNT } from './sources.js';

/**
 * Writes the live candidates' slots into `order`, best first: the scenario's own sources
 * before the fallback chain's, then by score, then by the primary source's rank (so equal
 * scores keep that source's order), then by the best rank any source gave, then by item
 * index. Returns how many.
 */
export function sortByScore(set: CandidateSet, primary: number, order: Int32Array): number {
  let count = 0;
  for (let slot = 0; slot < set.count; slot++) if (set.alive(slot)) order[count++] = slot;
  const compare = (a: number, b: number): number => {
    const tier = set.tiers[a]! - set.tiers[b]!;
    if (tier !== 0) return tier;
    const score = set.scores[b]! - set.scores[a]!;
    if (score !== 0 && !Number.isNaN(score)) return score;
    const primaryA = set.rank(a, primary) || Number.MAX_SAFE_INTEGER;
    const primaryB = set.rank(b, primary) || Number.MAX_SAFE_INTEGER;
    if (primaryA !== primaryB) return primaryA - primaryB;
    const rankA = bestRank(set, a);
    const rankB = bestRank(set, b);
    if (rankA !== rankB) return rankA - rankB;
    return set.items[a]! - set.items[b]!;
  };
  // A typed array's sort copies it first; a streamed request's few dozen sort in place.
  if (count > INSERTION_SORT_UP_TO) order.subarray(0, count).sort(compare);
  else
    for (let i = 1; i < count; i++) {
      const slot = order[i]!;
      let at = i;
      while (at > 0 && compare(order[at - 1]!, slot) > 0) {
        order[at] = order[at - 1]!;
        at--;
      }
      order[at] = slot;
    }
  return count;
}

const INSERTION_SORT_UP_TO = 48;

/** The best rank any source gave the candidate (sources' own tie-breaks survive). */
function bestRank(set: CandidateSet, slot: number): number {
  let best = Number.MAX_SAFE_INTEGER;
  for (let source = 0; source < SOURCE_COUNT; source++) {
    const rank = set.rank(slot, source);
    if (rank > 0 && rank < best) best = rank;
  }
  return best;
}

/**
 * Re-orders the first `window` entries of `order` for diversity (entries beyond keep
 * their place). `scratch` must hold `window` ints.
 */
export function diversify(
  set: CandidateSet,
  order: Int32Array,
  count: number,
  window: number,
  diversity: Diversity,
  categories: CategoryIndex,
  scratch: Int32Array,
): void {
  const size = Math.min(count, window);
  if (size < 2 || diversity.mode === 'none') return;
  if (diversity.mode === 'mmr') mmr(set, order, size, diversity.lambda, categories);
  else capPerCategory(set, order, size, diversity.perCategory, categories, scratch);
}

function mmr(
  set: CandidateSet,
  order: Int32Array,
  size: number,
  lambda: number,
  categories: CategoryIndex,
): void {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < size; i++) {
    const score = set.scores[order[i]!]!;
    if (score < low) low = score;
    if (score > high) high = score;
  }
  const range = high - low || 1;
  // Selection sort by marginal relevance: order[0..chosen) is final.
  for (let chosen = 0; chosen < size; chosen++) {
    let best = chosen;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let i = chosen; i < size; i++) {
      const slot = order[i]!;
      if (set.tiers[slot] !== set.tiers[order[chosen]!]) continue;
      const item = set.items[slot]!;
      let similarity = 0;
      for (let j = 0; j < chosen; j++) {
        const overlap = categories.overlap(item, set.items[order[j]!]!);
        if (overlap > similarity) similarity = overlap;
      }
      const relevance = (set.scores[slot]! - low) / range;
      const value = lambda * relevance - (1 - lambda) * similarity;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    if (best !== chosen) {
      const picked = order[best]!;
      order.copyWithin(chosen + 1, chosen, best);
      order[chosen] = picked;
    }
  }
}

function capPerCategory(
  set: CandidateSet,
  order: Int32Array,
  size: number,
  perCategory: number,
  categories: CategoryIndex,
  deferred: Int32Array,
): void {
  const counts = new Map<number, number>();
  let write = 0;
  let deferredCount = 0;
  for (let i = 0; i < size; i++) {
    const slot = order[i]!;
    const item = set.items[slot]!;
    let full = false;
    if (item < categories.itemCount) {
      for (let at = categories.itemOffsets[item]!; at < categories.itemOffsets[item + 1]!; at++)
        if ((counts.get(categories.itemCategories[at]!) ?? 0) >= perCategory) full = true;
    }
    if (full) {
      deferred[deferredCount++] = slot;
      continue;
    }
    if (item < categories.itemCount) {
      for (let at = categories.itemOffsets[item]!; at < categories.itemOffsets[item + 1]!; at++) {
        const category = categories.itemCategories[at]!;
        counts.set(category, (counts.get(category) ?? 0) + 1);
      }
    }
    order[write++] = slot;
  }
  order.set(deferred.subarray(0, deferredCount), write);
}

/**
 * Exploration: each of the first `page` positions, with probability `epsilon`, swaps
 * with a random candidate from below the page, so items the scores undervalue get shown
 * (and their clicks logged). Returns the positions that were explored.
 */
export function explore(
  order: Int32Array,
  count: number,
  start: number,
  page: number,
  epsilon: number,
  random: Random,
): number[] {
  const explored: number[] = [];
  const end = Math.min(count, start + page);
  if (epsilon <= 0 || end >= count) return explored;
  for (let position = start; position < end; position++) {
    if (random.next() >= epsilon) continue;
    const from = end + random.nextInt(count - end);
    const slot = order[position]!;
    order[position] = order[from]!;
    order[from] = slot;
    explored.push(position);
  }
  return explored;
}
