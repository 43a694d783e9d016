import { type CsrMatrix, rowIndices, rowValues } from '../models/interaction-matrix.js';
import { IndexMask, topK } from '../models/top-k.js';

/** Scores every catalog item for one user, given their training history. */
export type UserScorer = (
  user: number,
  history: Int32Array,
  historyWeights: Float32Array,
) => Float32Array;

/**
 * Top-k lists for the given users, with the items they already have in `train`
 * removed from the ranking (the standard protocol: recommending a seen item earns
 * nothing, since held-out items are disjoint from training items).
 */
export function recommendForUsers(
  users: Iterable<number>,
  train: CsrMatrix,
  scorer: UserScorer,
  k: number,
): Map<number, Int32Array> {
  const lists = new Map<number, Int32Array>();
  for (const user of users) {
    const history = user < train.rows ? rowIndices(train, user) : new Int32Array(0);
    const weights = user < train.rows ? rowValues(train, user) : new Float32Array(0);
    const scores = scorer(user, history, weights);
    lists.set(user, topK(scores, k, new IndexMask(scores.length, history)).indices);
  }
  return lists;
}

/** Each user's set of items among the given rows (e.g. a split's test side). */
export function relevantItems(
  users: ArrayLike<number>,
  items: ArrayLike<number>,
): Map<number, Set<number>> {
  const relevant = new Map<number, Set<number>>();
  for (let row = 0; row < users.length; row++) {
    const user = users[row]!;
    let set = relevant.get(user);
    if (set === undefined) relevant.set(user, (set = new Set()));
    set.add(items[row]!);
  }
  return relevant;
}
