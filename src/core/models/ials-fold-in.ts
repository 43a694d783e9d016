import { choleskyInPlace, choleskySolveInPlace } from './dense-linear-algebra.js';
import type { IalsModel } from './ials.js';

/**
 * A user vector computed on the spot from a few (item, weight) interactions, with the
 * item factors held fixed: exactly the least-squares step iALS would take for this user,
 *   (YᵀY + reg I + Σ alpha|w| y yᵀ) x = Σ_{w>0} (1 + alpha w) y.
 * This is what personalizes a brand-new user from their first clicks, without
 * retraining, and refreshes an existing user between trainings. Cost O(n k² + k³),
 * well under a millisecond for k = 64. Repeated items have their weights summed, as
 * the interaction matrix does.
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
