import { type CsrMatrix, transpose } from './interaction-matrix.js';
import { NeighbourRows } from './neighbour-rows.js';
import { type Ranked, topKAmong } from './top-k.js';

export type ItemSimilarity = 'cosine' | 'jaccard' | 'lift';

export interface ItemKnnOptions {
  /** Default 'cosine'. */
  readonly similarity?: ItemSimilarity;
  /** Neighbours kept per item; default 100. */
  readonly neighbours?: number;
  /** Use the entries' weights as strengths (default: every entry counts 1). */
  readonly weighted?: boolean;
  /**
   * Added to the cosine denominator: pulls down similarities resting on few common
   * users, which are mostly noise. Default 0.
   */
  readonly shrinkage?: number;
  /**
   * Older entries count less: strength × 0.5^(age / halfLife), with the age taken from
   * the matrix's entry timestamps relative to referenceTime (default: the latest one).
   */
  readonly timeDecay?: { readonly halfLife: number; readonly referenceTime?: number };
  /** Pairs with a smaller (strength-weighted) co-occurrence are dropped; default 0. */
  readonly minCoOccurrence?: number;
}

/** Row i lists i's nearest neighbours, most similar first, with their similarities. */
export interface ItemKnnModel {
  readonly neighbours: CsrMatrix;
}

/**
 * Item-to-item collaborative filtering from co-occurrence. With s_ui the strength of
 * user u's entry for item i (1, or its weight, times the optional time decay),
 * co(i, j) = Σ_u s_ui s_uj and occ(i) = Σ_u s_ui², and
 *   cosine  = co / (sqrt(occ_i occ_j) + shrinkage)
 *   jaccard = co / (occ_i + occ_j - co)
 *   lift    = co / (occ_i occ_j)
 * which reduce to the textbook count-based forms when strengths are all 1.
 */
export function fitItemKnn(matrix: CsrMatrix, options: ItemKnnOptions = {}): ItemKnnModel {
  const similarity = options.similarity ?? 'cosine';
  const keep = options.neighbours ?? 100;
  const shrinkage = options.shrinkage ?? 0;
  const minCoOccurrence = options.minCoOccurrence ?? 0;
  const strengths = entryStrengths(matrix, options);
  const byUser: CsrMatrix = { ...matrix, values: strengths };
  const byItem = transpose(byUser);
  const items = matrix.cols;

  const occurrence = new Float64Array(items);
  for (let entry = 0; entry < strengths.length; entry++) {
    occurrence[matrix.colIdx[entry]!]! += strengths[entry]! * strengths[entry]!;
  }

  const coOccurrence = new Float64Array(items);
  const similarities = new Float32Array(items);
  const touched = new Int32Array(items);
  const isTouched = new Uint8Array(items);
  const rows = new NeighbourRows(items);

  for (let item = 0; item < items; item++) {
    let touchedCount = 0;
    for (let entry = byItem.rowPtr[item]!; entry < byItem.rowPtr[item + 1]!; entry++) {
      const user = byItem.colIdx[entry]!;
      const strength = byItem.values[entry]!;
      for (let other = byUser.rowPtr[user]!; other < byUser.rowPtr[user + 1]!; other++) {
        const neighbour = byUser.colIdx[other]!;
        if (neighbour === item) continue;
        if (isTouched[neighbour] === 0) {
          isTouched[neighbour] = 1;
          touched[touchedCount++] = neighbour;
        }
        coOccurrence[neighbour]! += strength * byUser.values[other]!;
      }
    }
    for (let position = 0; position < touchedCount; position++) {
      const neighbour = touched[position]!;
      const co = coOccurrence[neighbour]!;
      similarities[neighbour] =
        co < minCoOccurrence
          ? Number.NEGATIVE_INFINITY
          : similarityOf(similarity, co, occurrence[item]!, occurrence[neighbour]!, shrinkage);
    }
    const best = topKAmong(similarities, touched, touchedCount, keep);
    rows.add(item, best);
    for (let position = 0; position < touchedCount; position++) {
      const neighbour = touched[position]!;
      coOccurrence[neighbour] = 0;
      similarities[neighbour] = 0;
      isTouched[neighbour] = 0;
    }
  }

  return { neighbours: rows.build() };
}

/**
 * score(j) = Σ over history items i of weight_i · sim(i, j), over i's kept neighbours.
 * Items outside every neighbourhood score 0. History items are not removed: callers
 * exclude what the user has already seen.
 */
export function scoreFromHistory(
  model: ItemKnnModel,
  items: ArrayLike<number>,
  weights?: ArrayLike<number>,
  out = new Float32Array(model.neighbours.rows),
): Float32Array {
  const { rowPtr, colIdx, values } = model.neighbours;
  for (let position = 0; position < items.length; position++) {
    const item = items[position]!;
    const weight = weights === undefined ? 1 : weights[position]!;
    for (let entry = rowPtr[item]!; entry < rowPtr[item + 1]!; entry++) {
      out[colIdx[entry]!]! += weight * values[entry]!;
    }
  }
  return out;
}

/** The item's stored neighbours, best first (already sorted at fit time). */
export function similarItemsKnn(model: ItemKnnModel, item: number, k: number): Ranked {
  const { rowPtr, colIdx, values } = model.neighbours;
  const start = rowPtr[item]!;
  const end = Math.min(rowPtr[item + 1]!, start + k);
  return { indices: colIdx.slice(start, end), scores: values.slice(start, end) };
}

function similarityOf(
  kind: ItemSimilarity,
  co: number,
  occurrenceA: number,
  occurrenceB: number,
  shrinkage: number,
): number {
  switch (kind) {
    case 'cosine':
      return co / (Math.sqrt(occurrenceA * occurrenceB) + shrinkage);
    case 'jaccard':
      return co / (occurrenceA + occurrenceB - co);
    case 'lift':
      return co / (occurrenceA * occurrenceB);
  }
}

function entryStrengths(matrix: CsrMatrix, options: ItemKnnOptions): Float32Array {
  const strengths = new Float32Array(matrix.values.length);
  const decay = options.timeDecay;
  const timestamps = matrix.timestamps;
  if (decay !== undefined && timestamps === undefined) {
    throw new RangeError('time decay needs entry timestamps');
  }
  let reference = decay?.referenceTime;
  if (decay !== undefined && reference === undefined) {
    reference = timestamps!.reduce((max, time) => Math.max(max, time), Number.NEGATIVE_INFINITY);
  }
  for (let entry = 0; entry < strengths.length; entry++) {
    let strength = options.weighted === true ? matrix.values[entry]! : 1;
    if (decay !== undefined) {
      const age = Math.max(0, reference! - timestamps![entry]!);
      strength *= Math.pow(0.5, age / decay.halfLife);
    }
    strengths[entry] = strength;
  }
  return strengths;
}
