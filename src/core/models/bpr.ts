import type { CsrMatrix } from './interaction-matrix.js';
import type { FactorModel } from './factor-model.js';
import { createRandom } from './random.js';

export interface BprOptions {
  /** Default 64. */
  readonly factors?: number;
  /** SGD step; default 0.05. */
  readonly learningRate?: number;
  /** L2 penalty per update; default 0.01. */
  readonly regularization?: number;
  /** Passes; each draws as many (user, positive, negative) triples as there are entries. Default 50. */
  readonly iterations?: number;
  /** Standard deviation of the initial factors; default 0.01. */
  readonly initScale?: number;
  readonly seed?: number;
}

/**
 * Bayesian Personalized Ranking (Rendle et al., 2009) with plain SGD: for a random
 * observed (user, item i) and a uniformly drawn unobserved item j, push
 * σ(x_ui - x_uj) up, where x_ui = u · v_i + b_i. Only the order of i over j matters,
 * not the entries' weights, so the matrix acts as binary.
 */
export function fitBpr(matrix: CsrMatrix, options: BprOptions = {}): FactorModel {
  const factors = options.factors ?? 64;
  const learningRate = options.learningRate ?? 0.05;
  const regularization = options.regularization ?? 0.01;
  const iterations = options.iterations ?? 50;
  const initScale = options.initScale ?? 0.01;
  const random = createRandom(options.seed ?? 0);
  const { rows: users, cols: items, rowPtr, colIdx } = matrix;

  const userFactors = new Float32Array(users * factors);
  const itemFactors = new Float32Array(items * factors);
  const itemBias = new Float32Array(items);
  for (let i = 0; i < userFactors.length; i++) userFactors[i] = random.nextGaussian() * initScale;
  for (let i = 0; i < itemFactors.length; i++) itemFactors[i] = random.nextGaussian() * initScale;

  // Drawing an entry uniformly then reading its row gives users in proportion to
  // their activity, the sampling the BPR paper and `implicit` use.
  const entryUser = new Int32Array(colIdx.length);
  for (let user = 0; user < users; user++) entryUser.fill(user, rowPtr[user]!, rowPtr[user + 1]!);
  const samples = colIdx.length;
  if (samples === 0 || items < 2)
    return { factors, users, items, userFactors, itemFactors, itemBias };

  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let sample = 0; sample < samples; sample++) {
      const entry = random.nextInt(samples);
      const user = entryUser[entry]!;
      const positive = colIdx[entry]!;
      const rowStart = rowPtr[user]!;
      const rowEnd = rowPtr[user + 1]!;
      if (rowEnd - rowStart >= items) continue;
      let negative: number;
      do negative = random.nextInt(items);
      while (containsSorted(colIdx, rowStart, rowEnd, negative));

      const userBase = user * factors;
      const positiveBase = positive * factors;
      const negativeBase = negative * factors;
      let difference = itemBias[positive]! - itemBias[negative]!;
      for (let f = 0; f < factors; f++) {
        difference +=
          userFactors[userBase + f]! *
          (itemFactors[positiveBase + f]! - itemFactors[negativeBase + f]!);
      }
      // Gradient of ln σ(difference) is σ(-difference).
      const gradient = 1 / (1 + Math.exp(difference));
      itemBias[positive]! += learningRate * (gradient - regularization * itemBias[positive]!);
      itemBias[negative]! += learningRate * (-gradient - regularization * itemBias[negative]!);
      for (let f = 0; f < factors; f++) {
        const userValue = userFactors[userBase + f]!;
        const positiveValue = itemFactors[positiveBase + f]!;
        const negativeValue = itemFactors[negativeBase + f]!;
        userFactors[userBase + f] =
          userValue +
          learningRate * (gradient * (positiveValue - negativeValue) - regularization * userValue);
        itemFactors[positiveBase + f] =
          positiveValue + learningRate * (gradient * userValue - regularization * positiveValue);
        itemFactors[negativeBase + f] =
          negativeValue + learningRate * (-gradient * userValue - regularization * negativeValue);
      }
    }
  }
  return { factors, users, items, userFactors, itemFactors, itemBias };
}

/** Binary search in the sorted column indexes of one row. */
function containsSorted(colIdx: Int32Array, start: number, end: number, value: number): boolean {
  let low = start;
  let high = end - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const found = colIdx[middle]!;
    if (found === value) return true;
    if (found < value) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
