import type { RateDecision, RateRule } from '../ports/rate-limiter.js';

export type { RateDecision, RateLimiter, RateRule } from '../ports/rate-limiter.js';

/** The `RateLimit-Policy` value of a rule: `burst;w=seconds to refill`. */
export function rateLimitPolicy(rule: RateRule): string {
  return `${rule.burst};w=${Math.max(1, Math.ceil(rule.burst / rule.perSecond))}`;
}

/** IETF draft (httpapi-ratelimit-headers) fields for a decision, names lower-case. */
export function rateLimitHeaders(
  decision: RateDecision,
  rule: RateRule,
): Record<string, string | number> {
  return {
    'ratelimit-limit': decision.limit,
    'ratelimit-remaining': decision.remaining,
    'ratelimit-reset': decision.resetSeconds,
    'ratelimit-policy': rateLimitPolicy(rule),
  };
}
