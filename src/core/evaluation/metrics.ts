/**
 * Top-k ranking metrics with Microsoft Recommenders' definitions (python_evaluation.py),
 * so figures compare with theirs: binary relevance, hits counted in the first k
 * recommendations, users averaged with equal weight.
 */

export interface RankingMetrics {
  /** Users evaluated: those with both relevant items and recommendations. */
  readonly users: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  /** MAP@k: average precision normalized by min(|relevant|, k) (their map_at_k). */
  readonly map: number;
  readonly mrr: number;
  readonly hitRate: number;
}

/** hits in the first k / k (not / number recommended: short lists are penalized). */
export function precisionAtK(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  return countHits(recommended, relevant, k) / k;
}

export function recallAtK(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  return relevant.size === 0 ? 0 : countHits(recommended, relevant, k) / relevant.size;
}

/**
 * DCG = Σ over hits at rank r (1-based) of 1 / log(1 + r); ideal DCG puts
 * min(k, |relevant|) hits at the top. The log base cancels out.
 */
export function ndcgAtK(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  forEachHit(recommended, relevant, k, (rank) => (dcg += 1 / Math.log2(1 + rank)));
  let ideal = 0;
  for (let rank = 1; rank <= Math.min(k, relevant.size); rank++) ideal += 1 / Math.log2(1 + rank);
  return dcg / ideal;
}

/** Σ over hits of (hits so far / rank), divided by min(|relevant|, k). */
export function averagePrecisionAtK(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  if (relevant.size === 0) return 0;
  let sum = 0;
  let hits = 0;
  forEachHit(recommended, relevant, k, (rank) => (sum += ++hits / rank));
  return sum / Math.min(relevant.size, k);
}

/** 1 / rank of the first hit within k, else 0. */
export function reciprocalRankAtK(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  const limit = Math.min(k, recommended.length);
  for (let position = 0; position < limit; position++) {
    if (relevant.has(recommended[position]!)) return 1 / (position + 1);
  }
  return 0;
}

/**
 * Averages the per-user metrics over users present in both maps (Microsoft
 * Recommenders' "common users"); users without any hit count as zeros.
 */
export function evaluateRanking(
  recommendations: ReadonlyMap<number, ArrayLike<number>>,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  k: number,
): RankingMetrics {
  let users = 0;
  const totals = { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0 };
  for (const [user, truth] of relevant) {
    const recommended = recommendations.get(user);
    if (recommended === undefined || truth.size === 0) continue;
    users++;
    totals.precision += precisionAtK(recommended, truth, k);
    totals.recall += recallAtK(recommended, truth, k);
    totals.ndcg += ndcgAtK(recommended, truth, k);
    totals.map += averagePrecisionAtK(recommended, truth, k);
    totals.mrr += reciprocalRankAtK(recommended, truth, k);
    totals.hitRate += countHits(recommended, truth, k) > 0 ? 1 : 0;
  }
  const mean = (total: number): number => (users === 0 ? 0 : total / users);
  return {
    users,
    precision: mean(totals.precision),
    recall: mean(totals.recall),
    ndcg: mean(totals.ndcg),
    map: mean(totals.map),
    mrr: mean(totals.mrr),
    hitRate: mean(totals.hitRate),
  };
}

/** Distinct items recommended (in the first k) / distinct items in training. */
export function catalogCoverage(
  recommendations: ReadonlyMap<number, ArrayLike<number>>,
  trainItemCount: number,
  k: number,
): number {
  const distinct = new Set<number>();
  for (const list of recommendations.values()) {
    for (let position = 0; position < Math.min(k, list.length); position++)
      distinct.add(list[position]!);
  }
  return trainItemCount === 0 ? 0 : distinct.size / trainItemCount;
}

/**
 * Mean self-information of the recommended items, -log2(train interactions with the
 * item / all train interactions), over every recommendation made (Castells et al.; as
 * Microsoft Recommenders' novelty, items absent from training add 0 but still count).
 */
export function novelty(
  recommendations: ReadonlyMap<number, ArrayLike<number>>,
  trainItemCounts: ArrayLike<number>,
  k: number,
): number {
  let records = 0;
  for (let item = 0; item < trainItemCounts.length; item++) records += trainItemCounts[item]!;
  let sum = 0;
  let made = 0;
  for (const list of recommendations.values()) {
    for (let position = 0; position < Math.min(k, list.length); position++) {
      const count = trainItemCounts[list[position]!] ?? 0;
      if (count > 0) sum += -Math.log2(count / records);
      made++;
    }
  }
  return made === 0 ? 0 : sum / made;
}

function countHits(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
): number {
  let hits = 0;
  forEachHit(recommended, relevant, k, () => hits++);
  return hits;
}

/** Calls back with the 1-based rank of every relevant item among the first k. */
function forEachHit(
  recommended: ArrayLike<number>,
  relevant: ReadonlySet<number>,
  k: number,
  onHit: (rank: number) => void,
): void {
  const limit = Math.min(k, recommended.length);
  for (let position = 0; position < limit; position++) {
    if (relevant.has(recommended[position]!)) onHit(position + 1);
  }
}
