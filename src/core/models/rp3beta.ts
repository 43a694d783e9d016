import { type CsrMatrix, transpose } from './interaction-matrix.js';
import { NeighbourRows } from './neighbour-rows.js';
import { topKAmong } from './top-k.js';
import type { ItemKnnModel } from './item-knn.js';

export interface Rp3betaOptions {
  /** Exponent on the random walk's transition probabilities; default 1 (plain P3). */
  readonly alpha?: number;
  /** Popularity penalty: similarity to item j is divided by popularity_j^beta; default 0.5. */
  readonly beta?: number;
  /** Neighbours kept per item; default 200. */
  readonly neighbours?: number;
  /** Use the entries' weights (default: every entry counts 1). */
  readonly weighted?: boolean;
  /** Scale each kept row to sum 1 (default false). */
  readonly normalizeRows?: boolean;
}

/**
 * RP3beta (Paudel et al., "Updatable, accurate, diverse, and scalable recommendations
 * for interactive applications", 2016; the strong graph baseline of Dacrema et al.,
 * 2019): a three-step random walk item → user → item on the bipartite interaction graph,
 *   W[i][j] = Σ_u P(u | i)^alpha · P(j | u)^alpha / popularity_j^beta,
 * where P(u | i) is the item's row of Xᵀ and P(j | u) the user's row of X, each scaled to
 * sum 1. Dividing by popularity^beta keeps blockbusters from being everyone's neighbour.
 * The result has the item-kNN model's shape, so `scoreFromHistory` and
 * `similarItemsKnn` score and query it.
 */
export function fitRp3beta(matrix: CsrMatrix, options: Rp3betaOptions = {}): ItemKnnModel {
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? 0.5;
  const keep = options.neighbours ?? 200;
  const weighted = options.weighted === true;
  const items = matrix.cols;
  const strengths = new Float32Array(matrix.values.length);
  for (let entry = 0; entry < strengths.length; entry++) {
    const value = weighted ? matrix.values[entry]! : 1;
    strengths[entry] = value > 0 ? value : 0;
  }

  // P(j | u): each user's row scaled to sum 1, then raised to alpha.
  const userToItem = new Float32Array(strengths.length);
  for (let user = 0; user < matrix.rows; user++) {
    const start = matrix.rowPtr[user]!;
    const end = matrix.rowPtr[user + 1]!;
    let sum = 0;
    for (let entry = start; entry < end; entry++) sum += strengths[entry]!;
    for (let entry = start; entry < end; entry++)
      userToItem[entry] = sum > 0 ? Math.pow(strengths[entry]! / sum, alpha) : 0;
  }
  const byUser: CsrMatrix = { ...matrix, values: userToItem };

  // P(u | i): each item's column scaled to sum 1, then raised to alpha.
  const byItem = transpose({ ...matrix, values: strengths });
  const itemToUser = new Float32Array(byItem.values.length);
  const popularity = new Float64Array(items);
  for (let item = 0; item < items; item++) {
    const start = byItem.rowPtr[item]!;
    const end = byItem.rowPtr[item + 1]!;
    let sum = 0;
    for (let entry = start; entry < end; entry++) sum += byItem.values[entry]!;
    popularity[item] = end - start;
    for (let entry = start; entry < end; entry++)
      itemToUser[entry] = sum > 0 ? Math.pow(byItem.values[entry]! / sum, alpha) : 0;
  }
  const penalty = new Float64Array(items);
  for (let item = 0; item < items; item++)
    penalty[item] = popularity[item]! > 0 ? Math.pow(popularity[item]!, -beta) : 0;

  const accumulated = new Float64Array(items);
  const similarities = new Float32Array(items);
  const touched = new Int32Array(items);
  const isTouched = new Uint8Array(items);
  const rows = new NeighbourRows(items);
  for (let item = 0; item < items; item++) {
    let touchedCount = 0;
    for (let entry = byItem.rowPtr[item]!; entry < byItem.rowPtr[item + 1]!; entry++) {
      const user = byItem.colIdx[entry]!;
      const step = itemToUser[entry]!;
      if (step === 0) continue;
      for (let other = byUser.rowPtr[user]!; other < byUser.rowPtr[user + 1]!; other++) {
        const neighbour = byUser.colIdx[other]!;
        if (neighbour === item) continue;
        if (isTouched[neighbour] === 0) {
          isTouched[neighbour] = 1;
          touched[touchedCount++] = neighbour;
        }
        accumulated[neighbour]! += step * byUser.values[other]!;
      }
    }
    for (let position = 0; position < touchedCount; position++) {
      const neighbour = touched[position]!;
      similarities[neighbour] = accumulated[neighbour]! * penalty[neighbour]!;
    }
    const best = topKAmong(similarities, touched, touchedCount, keep);
    if (options.normalizeRows === true) {
      let sum = 0;
      for (const score of best.scores) sum += score;
      if (sum > 0) for (let i = 0; i < best.scores.length; i++) best.scores[i]! /= sum;
    }
    rows.add(item, best);
    for (let position = 0; position < touchedCount; position++) {
      const neighbour = touched[position]!;
      accumulated[neighbour] = 0;
      similarities[neighbour] = 0;
      isTouched[neighbour] = 0;
    }
  }

  return { neighbours: rows.build() };
}
