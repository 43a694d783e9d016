import type { RateDecision, RateLimiter, RateRule } from './rate-limiter.js';

interface Bucket {
  tokens: number;
  /** Milliseconds (monotonic clock) when `tokens` was last brought up to date. */
  at: number;
}

export interface TokenBucketOptions {
  /** Most buckets kept; beyond it full buckets are dropped first, then the oldest. */
  readonly maxBuckets?: number;
  /** Monotonic milliseconds; tests pass a fake clock. */
  readonly now?: () => number;
  /** How often buckets that have filled up again are forgotten (a full bucket equals none). */
  readonly sweepEveryMs?: number;
}

/**
 * In-memory token buckets: one per key (an API key id, a client address). Refill is
 * computed lazily from the elapsed time, so an idle bucket costs nothing; memory is
 * bounded by `maxBuckets` and a periodic sweep of buckets that are full again.
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxBuckets: number;
  private readonly now: () => number;
  private readonly sweepTimer: NodeJS.Timeout | undefined;
  /** Largest refill time seen, so the sweep knows when any bucket must be full. */
  private longestRefillMs = 0;

  constructor(options: TokenBucketOptions = {}) {
    this.maxBuckets = options.maxBuckets ?? 100_000;
    this.now = options.now ?? (() => performance.now());
    const every = options.sweepEveryMs ?? 30_000;
    if (every > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), every);
      this.sweepTimer.unref();
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, rule: RateRule, cost = 1): RateDecision {
    const now = this.now();
    const { perSecond, burst } = rule;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.evict(now);
      bucket = { tokens: burst, at: now };
      this.buckets.set(key, bucket);
      const refill = (burst / perSecond) * 1000;
      if (refill > this.longestRefillMs) this.longestRefillMs = refill;
    } else {
      const elapsed = now - bucket.at;
      if (elapsed > 0) {
        bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
        bucket.at = now;
      }
    }
    const allowed = bucket.tokens >= cost;
    if (allowed) bucket.tokens -= cost;
    const tokens = bucket.tokens;
    return {
      allowed,
      limit: burst,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((burst - tokens) / perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / perSecond)),
    };
  }

  /** Forgets buckets that have refilled: they behave exactly like new ones. */
  sweep(now = this.now()): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at >= this.longestRefillMs) this.buckets.delete(key);
    }
  }

  private evict(now: number): void {
    this.sweep(now);
    // Still full: drop the oldest tenth (Map order is insertion order).
    if (this.buckets.size < this.maxBuckets) return;
    let drop = Math.max(1, Math.floor(this.maxBuckets / 10));
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      if (--drop === 0) break;
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.buckets.clear();
  }
}
