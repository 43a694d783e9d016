import type { IndexSet } from './top-k.js';

export type ScoreNormalization = 'z' | 'rank';

export interface BlendPart {
  readonly scores: Float32Array;
  readonly weight: number;
}

/**
 * Puts one model's scores on a common scale so that scores from different models can be
 * added: 'z' subtracts the mean and divides by the standard deviation, 'rank' maps the
 * best item to 1 and the worst to 0 (robust to outliers and score shapes). Only
 * candidates count: finite scores not in `exclude` (e.g. the user's seen items, which
 * would otherwise dominate the statistics). Non-candidates get the lowest normalized
 * value, so a model that cannot score an item neither helps nor vetoes it.
 */
export function normalizeScores(
  scores: Float32Array,
  method: ScoreNormalization,
  exclude?: IndexSet,
): Float32Array {
  const isCandidate = (index: number): boolean =>
    Number.isFinite(scores[index]!) && (exclude === undefined || !exclude.has(index));
  const out = new Float32Array(scores.length);
  if (method === 'z') {
    let count = 0;
    let sum = 0;
    let sumSquares = 0;
    for (let index = 0; index < scores.length; index++) {
      if (!isCandidate(index)) continue;
      count++;
      sum += scores[index]!;
      sumSquares += scores[index]! * scores[index]!;
    }
    const mean = count === 0 ? 0 : sum / count;
    const deviation = count === 0 ? 0 : Math.sqrt(Math.max(0, sumSquares / count - mean * mean));
    let lowest = Number.POSITIVE_INFINITY;
    for (let index = 0; index < scores.length; index++) {
      if (!isCandidate(index)) continue;
      out[index] = deviation > 0 ? (scores[index]! - mean) / deviation : 0;
      lowest = Math.min(lowest, out[index]!);
    }
    const floor = Number.isFinite(lowest) ? lowest : 0;
    for (let index = 0; index < scores.length; index++) if (!isCandidate(index)) out[index] = floor;
    return out;
  }
  const candidates: number[] = [];
  for (let index = 0; index < scores.length; index++)
    if (isCandidate(index)) candidates.push(index);
  candidates.sort((a, b) => scores[a]! - scores[b]! || b - a);
  const span = Math.max(1, candidates.length - 1);
  candidates.forEach((index, position) => (out[index] = position / span));
  return out;
}

/** Weighted sum of normalized scores; excluded items come out as -Infinity. */
export function blendScores(
  parts: readonly BlendPart[],
  method: ScoreNormalization,
  exclude?: IndexSet,
): Float32Array {
  const length = parts[0]?.scores.length ?? 0;
  const blended = new Float32Array(length);
  for (const part of parts) {
    if (part.scores.length !== length)
      throw new RangeError('all score arrays must have the same length');
    if (part.weight === 0) continue;
    const normalized = normalizeScores(part.scores, method, exclude);
    for (let index = 0; index < length; index++)
      blended[index]! += part.weight * normalized[index]!;
  }
  if (exclude !== undefined) {
    for (let index = 0; index < length; index++)
      if (exclude.has(index)) blended[index] = Number.NEGATIVE_INFINITY;
  }
  return blended;
}
