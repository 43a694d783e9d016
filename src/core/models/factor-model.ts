import { type IndexSet, type Ranked, topK } from './top-k.js';

/**
 * Users and items embedded in one space (iALS, BPR): a user's affinity for an item is
 * the dot product of their rows. Row-major, `factors` floats per row.
 */
export interface FactorModel {
  readonly factors: number;
  readonly users: number;
  readonly items: number;
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  /** Added to every user's score for the item (BPR learns one; iALS has none). */
  readonly itemBias?: Float32Array;
}

/** A user's row (a view, not a copy). */
export function userVector(model: FactorModel, user: number): Float32Array {
  return model.userFactors.subarray(user * model.factors, (user + 1) * model.factors);
}

/** Dot product of `vector` with every item row. */
export function scoreItems(
  model: FactorModel,
  vector: ArrayLike<number>,
  out = new Float32Array(model.items),
): Float32Array {
  const { factors, itemFactors, itemBias } = model;
  for (let item = 0; item < model.items; item++) {
    const base = item * factors;
    let score = itemBias === undefined ? 0 : itemBias[item]!;
    for (let f = 0; f < factors; f++) score += itemFactors[base + f]! * vector[f]!;
    out[item] = score;
  }
  return out;
}

export function recommendFromVector(
  model: FactorModel,
  vector: ArrayLike<number>,
  k: number,
  exclude?: IndexSet,
): Ranked {
  return topK(scoreItems(model, vector), k, exclude);
}

/** Nearest items by cosine of their factor rows, the item itself left out. */
export function similarItemsByFactors(model: FactorModel, item: number, k: number): Ranked {
  const { factors, itemFactors } = model;
  const query = itemFactors.subarray(item * factors, (item + 1) * factors);
  const queryNorm = Math.sqrt(dot(query, query));
  const scores = new Float32Array(model.items);
  for (let other = 0; other < model.items; other++) {
    const row = itemFactors.subarray(other * factors, (other + 1) * factors);
    const norm = Math.sqrt(dot(row, row)) * queryNorm;
    scores[other] = norm > 0 ? dot(row, query) / norm : 0;
  }
  return topK(scores, k, { has: (index) => index === item });
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let f = 0; f < a.length; f++) sum += a[f]! * b[f]!;
  return sum;
}
