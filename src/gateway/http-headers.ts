import { normaliseOrigin } from './api-keys.js';

/**
 * Sent on every response. The API serves JSON only, so the strictest settings cost
 * nothing: no sniffing, no framing, no referrer, no caching of answers that may hold
 * personal data, and a CSP that forbids any active content should a browser render one.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** A client-sent `x-request-id` echoed as is; any other is replaced, not echoed or logged. */
export const SAFE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

export const CORS_ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
export const CORS_ALLOWED_HEADERS =
  'authorization, x-api-key, content-type, x-request-id, traceparent, tracestate';
export const CORS_EXPOSED_HEADERS =
  'x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy';
export const CORS_MAX_AGE_SECONDS = '600';

/** The origins of `cors.origins` (comma-separated; `*` allows any). */
export interface CorsOrigins {
  readonly any: boolean;
  readonly list: ReadonlySet<string>;
}

export function parseCorsOrigins(setting: string): CorsOrigins {
  const parts = setting
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const any = parts.includes('*');
  return { any, list: new Set(parts.filter((p) => p !== '*').map(normaliseOrigin)) };
}
