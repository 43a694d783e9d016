import { Redis } from 'ioredis';
import type { RateDecision, RateLimiter, RateRule } from '../../ports/rate-limiter.js';

export interface RedisRateLimiterOptions {
  /** `redis://host:port[/db][?prefix=name]` (keys `name:rate:...`, default `kindred`). */
  readonly url: string;
  /** Prefix of the bucket keys (overrides the URL's), so deployments can share one Redis. */
  readonly keyPrefix?: string;
  /** A request waits at most this long for Redis before it is let through (default 100 ms). */
  readonly timeoutMs?: number;
}

/**
 * Refills the bucket from Redis's own clock, takes `cost` tokens if there are that many,
 * and keeps the bucket only as long as it takes to fill up again (a full bucket is the same
 * as none). One script: atomic, one round trip.
 */
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * rate / 1000) end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return { allowed, tostring(tokens) }`;

type TakeReply = [number, string];

interface WithTake {
  takeTokens(key: string, rate: number, burst: number, cost: number): Promise<TakeReply>;
}

/**
 * Token buckets in Redis, shared by every API node: one rate limit holds across them.
 * A request costs one script call. When Redis does not answer within `timeoutMs` (or is
 * down), the request is let through and counted in `failures`: a rate limit is protection,
 * and refusing every request because its bookkeeping is away would be the outage it
 * exists to prevent.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis & WithTake;
  private readonly prefix: string;
  /** Decisions Redis could not make (the request was let through). */
  failures = 0;

  constructor(options: RedisRateLimiterOptions) {
    // `?prefix=` is Kindred's, not the client's: it names the deployment's keys.
    const url = new URL(options.url);
    const prefix = url.searchParams.get('prefix');
    url.searchParams.delete('prefix');
    const redis = new Redis(url.toString(), {
      commandTimeout: options.timeoutMs ?? 100,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    // Connection errors surface as failed takes; the client reconnects by itself.
    redis.on('error', () => undefined);
    redis.defineCommand('takeTokens', { numberOfKeys: 1, lua: TAKE });
    this.redis = redis as Redis & WithTake;
    this.prefix = options.keyPrefix ?? `${prefix ?? 'kindred'}:rate:`;
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const { perSecond, burst } = rule;
    let allowed: boolean;
    let tokens: number;
    try {
      const [granted, left] = await this.redis.takeTokens(
        this.prefix + key,
        perSecond,
        burst,
        cost,
      );
      allowed = granted === 1;
      tokens = Number(left);
    } catch {
      this.failures++;
      allowed = true;
      tokens = burst;
    }
    return {
      allowed,
      limit: burst,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((burst - tokens) / perSecond),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / perSecond)),
    };
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
