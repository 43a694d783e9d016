/** Reciprocal rank fusion's constant: a hit at rank r of a list adds 1 / (k + r). */
export const RRF_K = 60;

export interface RankedList {
  readonly name: string;
  /** Best first. */
  readonly docs: readonly number[];
}

export interface FusedEntry {
  readonly doc: number;
  readonly score: number;
  /** The 1-based rank of the document in each list, null where it is absent. */
  readonly ranks: Readonly<Record<string, number | null>>;
}

/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): each document scores
 * Σ 1 / (k + rank) over the lists that hold it. Rank-based, so lists whose scores live
 * on different scales (BM25F, cosines) mix without calibration. Ties: the document
 * reached first in list order.
 */
export function fuseRankings(lists: readonly RankedList[], k = RRF_K): FusedEntry[] {
  const scores = new Map<number, number>();
  const ranks = new Map<number, Record<string, number | null>>();
  const order: number[] = [];
  for (const list of lists) {
    list.docs.forEach((doc, position) => {
      let docRanks = ranks.get(doc);
      if (docRanks === undefined) {
        docRanks = Object.fromEntries(lists.map((l) => [l.name, null]));
        ranks.set(doc, docRanks);
        order.push(doc);
      }
      if (docRanks[list.name] !== null) return;
      docRanks[list.name] = position + 1;
      scores.set(doc, (scores.get(doc) ?? 0) + 1 / (k + position + 1));
    });
  }
  const firstSeen = new Map(order.map((doc, at) => [doc, at]));
  return order
    .map((doc) => ({ doc, score: scores.get(doc)!, ranks: ranks.get(doc)! }))
    .sort((a, b) => b.score - a.score || firstSeen.get(a.doc)! - firstSeen.get(b.doc)!);
}
