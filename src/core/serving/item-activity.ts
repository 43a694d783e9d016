import { grow } from '../projections/growable.js';

/**
 * Per-item counts that fade: each event adds 2^((t - anchor) / halfLife), so no count
 * ever needs touching as time passes, and `value(item, now)` scales back to `now`. The
 * anchor moves forward (one rescale of every item) when the exponent grows large.
 */
export class DecayedCounts {
  private counts = new Float64Array(256);
  private anchor: number | undefined;
  private readonly rate: number;

  constructor(readonly halfLifeSeconds: number) {
    this.rate = Math.LN2 / halfLifeSeconds;
  }

  add(item: number, time: number, amount = 1): void {
    if (item < 0) return;
    if (this.anchor === undefined) this.anchor = time;
    let exponent = (time - this.anchor) * this.rate;
    if (exponent > 40) {
      const factor = Math.exp(-exponent);
      for (let i = 0; i < this.counts.length; i++) this.counts[i]! *= factor;
      this.anchor = time;
      exponent = 0;
    }
    if (item >= this.counts.length) this.counts = grow(this.counts, item + 1, Float64Array);
    this.counts[item]! += amount * Math.exp(exponent);
  }

  /** The faded count at `now` (unix seconds). */
  value(item: number, now: number): number {
    const count = this.counts[item] ?? 0;
    if (count === 0 || this.anchor === undefined) return 0;
    return count * Math.exp((this.anchor - now) * this.rate);
  }
}

/** The windows real-time features are computed over. */
export const SHORT_WINDOW_SECONDS = 3600;
export const LONG_WINDOW_SECONDS = 86_400;

/**
 * What has happened to each item lately, as fading counts over a short and a long
 * window: interactions, impressions (times shown in a recommendation) and the clicks
 * attributed to those impressions. Fed from the event stream; read by the features.
 */
export class ItemActivity {
  readonly interactionsShort = new DecayedCounts(SHORT_WINDOW_SECONDS);
  readonly interactionsLong = new DecayedCounts(LONG_WINDOW_SECONDS);
  readonly impressionsShort = new DecayedCounts(SHORT_WINDOW_SECONDS);
  readonly impressionsLong = new DecayedCounts(LONG_WINDOW_SECONDS);
  readonly clicksShort = new DecayedCounts(SHORT_WINDOW_SECONDS);
  readonly clicksLong = new DecayedCounts(LONG_WINDOW_SECONDS);

  interaction(item: number, time: number): void {
    this.interactionsShort.add(item, time);
    this.interactionsLong.add(item, time);
  }

  impression(item: number, time: number): void {
    this.impressionsShort.add(item, time);
    this.impressionsLong.add(item, time);
  }

  click(item: number, time: number): void {
    this.clicksShort.add(item, time);
    this.clicksLong.add(item, time);
  }
}
