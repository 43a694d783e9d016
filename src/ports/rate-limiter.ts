/**
 * The rate-limiter port. The gateway asks it for one token per request, once per client
 * address and once per API key. The in-memory token bucket (`gateway/token-bucket.ts`) serves
 * one process; the Redis adapter (`adapters/redis`) shares buckets between API nodes and
 * answers asynchronously, which is why `take` may return a promise. The gateway awaits only then,
 * so the in-memory path costs no promise at all.
 */
export interface RateRule {
  /** Sustained rate: tokens added per second. */
  readonly perSecond: number;
  /** Bucket size: how many requests may come at once after a quiet spell. */
  readonly burst: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** The bucket size (the `RateLimit-Limit` header). */
  readonly limit: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until the bucket is full again (`RateLimit-Reset`). */
  readonly resetSeconds: number;
  /** When refused: seconds until one token is there (`Retry-After`); 0 when allowed. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens from bucket `key` under `rule`, or refuses and takes none. */
  take(key: string, rule: RateRule, cost?: number): RateDecision | Promise<RateDecision>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}
