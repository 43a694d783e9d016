import type { CsrMatrix, InteractionColumns } from './interaction-matrix.js';

/**
 * Non-personalized rankings: what new or anonymous visitors see, the fallback when a
 * personalized model has nothing to say, and the baseline every model must beat. Each
 * returns one score per item; rank with topK.
 */

/** Sum of (signed) weights per item: dislikes count against an item. */
export function popularityScores(matrix: CsrMatrix): Float32Array {
  const scores = new Float64Array(matrix.cols);
  for (let entry = 0; entry < matrix.colIdx.length; entry++) {
    scores[matrix.colIdx[entry]!]! += matrix.values[entry]!;
  }
  return Float32Array.from(scores);
}

export interface TrendingOptions {
  /** An event's weight halves every halfLife (same unit as the timestamps). */
  readonly halfLife: number;
  /** "Now"; events after it are ignored. Defaults to the latest timestamp. */
  readonly referenceTime?: number;
}

/**
 * Exponentially time-decayed weighted counts, from the raw events: merged matrix entries
 * keep only their latest time, which would make repeat interactions look recent.
 */
export function trendingScores(
  events: InteractionColumns,
  itemCount: number,
  options: TrendingOptions,
): Float32Array {
  const { items, weights, timestamps } = events;
  if (timestamps === undefined) throw new RangeError('trending needs timestamps');
  if (!(options.halfLife > 0)) throw new RangeError('halfLife must be positive');
  let reference = options.referenceTime;
  if (reference === undefined) {
    reference = Number.NEGATIVE_INFINITY;
    for (let event = 0; event < timestamps.length; event++) {
      reference = Math.max(reference, timestamps[event]!);
    }
  }
  // Decay computed as exp(-age * rate) in double precision; scores are relative, so the
  // reference time only shifts every score by the same factor.
  const rate = Math.LN2 / options.halfLife;
  const scores = new Float64Array(itemCount);
  for (let event = 0; event < items.length; event++) {
    const age = reference - timestamps[event]!;
    if (age < 0) continue;
    scores[items[event]!]! += weights[event]! * Math.exp(-age * rate);
  }
  return Float32Array.from(scores);
}

/**
 * Newest first: the score is the item's publication time when known, else the time it
 * was first interacted with; items with neither get -Infinity (never ranked).
 */
export function latestScores(
  itemCount: number,
  publishedAt?: ArrayLike<number>,
  events?: InteractionColumns,
): Float64Array {
  const scores = new Float64Array(itemCount).fill(Number.NEGATIVE_INFINITY);
  if (events?.timestamps !== undefined) {
    const firstSeen = new Float64Array(itemCount).fill(Number.POSITIVE_INFINITY);
    for (let event = 0; event < events.items.length; event++) {
      const item = events.items[event]!;
      firstSeen[item] = Math.min(firstSeen[item]!, events.timestamps[event]!);
    }
    for (let item = 0; item < itemCount; item++) {
      if (Number.isFinite(firstSeen[item]!)) scores[item] = firstSeen[item]!;
    }
  }
  if (publishedAt !== undefined) {
    for (let item = 0; item < itemCount; item++) {
      const time = publishedAt[item]!;
      if (Number.isFinite(time)) scores[item] = time;
    }
  }
  return scores;
}
