import { grow } from '../projections/growable.js';
import { type IndexSet, type Ranked, topK } from '../models/top-k.js';

/**
 * What is popular now: per item, the sum of positive interaction signals, each weighing
 * 0.5^(age / halfLife). Updated by every interaction as it is applied (no training
 * needed), it answers unknown users, users with nothing to go on, and `GET /v1/trending`.
 *
 * Scores are kept relative to an anchor time: an event at time t adds w · 2^((t - anchor)
 * / halfLife), so old scores never need touching as time passes (every item would decay
 * by the same factor). When the exponent grows large the anchor moves forward and all
 * scores are rescaled once.
 */
export class TrendingCounter {
  private scores = new Float64Array(1024);
  private anchor: number | undefined;
  private readonly rate: number;

  constructor(halfLifeSeconds: number) {
    if (!(halfLifeSeconds > 0)) throw new RangeError('halfLifeSeconds must be positive');
    this.rate = Math.LN2 / halfLifeSeconds;
  }

  /** Adds one interaction's weight at `time` (unix seconds). Non-positive weights are ignored. */
  add(item: number, weight: number, time: number): void {
    if (!(weight > 0) || item < 0) return;
    if (this.anchor === undefined) this.anchor = time;
    let exponent = (time - this.anchor) * this.rate;
    if (exponent > 40) {
      this.rebase(time);
      exponent = 0;
    }
    if (item >= this.scores.length) this.scores = grow(this.scores, item + 1, Float64Array);
    this.scores[item]! += weight * Math.exp(exponent);
  }

  private rebase(time: number): void {
    const factor = Math.exp(-(time - (this.anchor ?? time)) * this.rate);
    for (let item = 0; item < this.scores.length; item++) this.scores[item]! *= factor;
    this.anchor = time;
  }

  /** The k most trending items, best first; items with no interactions are never listed. */
  top(k: number, exclude?: IndexSet): Ranked {
    return topK(this.nonZero(), k, exclude);
  }

  /** Score of one item relative to the others (for responses). */
  score(item: number): number {
    return this.scores[item] ?? 0;
  }

  private nonZeroView: Float64Array | undefined;

  /** Scores with zeros turned into -Infinity, so top-k skips items nobody touched. */
  private nonZero(): Float64Array {
    const view =
      this.nonZeroView?.length === this.scores.length
        ? this.nonZeroView
        : (this.nonZeroView = new Float64Array(this.scores.length));
    for (let item = 0; item < this.scores.length; item++) {
      const score = this.scores[item]!;
      view[item] = score > 0 ? score : Number.NEGATIVE_INFINITY;
    }
    return view;
  }
}
