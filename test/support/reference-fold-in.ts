import {
  choleskyInPlace,
  choleskySolveInPlace,
} from '../../src/core/models/dense-linear-algebra.js';
import type { IalsModel } from '../../src/core/models/ials.js';

/**
 * The fold-in written plainly, kept as the reference the engine's allocation-free one
 * (`FoldInSolver`, `src/core/recommend/recommender.ts`) is checked against: a user
 * vector from a few (item, weight) interactions with the item factors held fixed, exactly
 * the least-squares step iALS would take for this user,
 *   (YᵀY + reg I + Σ alpha|w| y yᵀ) x = Σ_{w>0} (1 + alpha w) y.
 * Repeated items have their weights summed, as the interaction matrix does.
 */
export function foldInUser(
  model: IalsModel,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): Float32Array {
  if (items.length !== weights.length)
    throw new RangeError('items and weights must have the same length');
  const { factors, itemFactors, alpha } = model;
  const merged = new Map<number, number>();
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    if (!Number.isInteger(item) || item < 0 || item >= model.items) {
      throw new RangeError(`item index ${item} is outside 0..${model.items - 1}`);
    }
    merged.set(item, (merged.get(item) ?? 0) + weights[position]!);
  }

  const system = Float64Array.from(model.itemGram);
  const rhs = new Float64Array(factors);
  const regularization =
    model.regularization * Math.pow(Math.max(1, merged.size), model.regularizationExponent);
  for (let f = 0; f < factors; f++) system[f * factors + f]! += regularization;
  for (const [item, weight] of merged) {
    const base = item * factors;
    const excess = alpha * Math.abs(weight);
    for (let i = 0; i < factors; i++) {
      const value = itemFactors[base + i]!;
      if (weight > 0) rhs[i]! += (1 + excess) * value;
      for (let j = 0; j < factors; j++)
        system[i * factors + j]! += excess * value * itemFactors[base + j]!;
    }
  }
  choleskyInPlace(system, factors);
  choleskySolveInPlace(system, factors, rhs);
  return Float32Array.from(rhs);
}
