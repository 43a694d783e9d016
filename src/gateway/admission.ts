// The one admission path of every request, whichever server answers it (the framework's
// hooks or the direct route): draining, load shedding, authentication and scopes, origins
// and CORS, rate limits. It reads headers and the socket only, and says what to answer.
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { KindredConfig } from '../config/settings.js';
import type { KindredMetrics } from '../observability/metrics.js';
import type { ApiKeyStore, AuthenticatedKey } from './api-keys.js';
import { CORS_EXPOSED_HEADERS, type CorsOrigins } from './http-headers.js';
import { ADMITTED, EXEMPT, type LoadShedder, POOL_INDEX, SHED_POOL_FULL } from './load-shedder.js';
import {
  rateLimitPolicy,
  type RateDecision,
  type RateLimiter,
  type RateRule,
} from './rate-limiter.js';
import {
  BAD_KEY_BODIES,
  DRAINING_BODY,
  MISSING_KEY_BODY,
  ORIGIN_BODY,
  OVERLOADED_BODY,
  POOL_FULL_BODY,
  errorBody,
} from './refusals.js';
import type { RouteState } from './route-states.js';
import { allows, type Scope } from './scopes.js';

/** Headers as `writeHead` takes them flat: name, value, name, value... */
export type FlatHeaders = (string | number)[];

/**
 * What admission decided. `status` 0: admitted; otherwise the refusal's status and body.
 * `pool` is the slot the request holds either way (-1: none), which its answer gives back.
 */
export interface AdmissionResult {
  readonly status: number;
  readonly pool: number;
  readonly caller: AuthenticatedKey | null;
  /** Headers the answer carries (CORS, rate limits, Retry-After...), whatever it is. */
  readonly headers: FlatHeaders;
  readonly body: string;
}

export interface AdmissionParts {
  readonly config: KindredConfig;
  readonly keys: ApiKeyStore;
  readonly shedder: LoadShedder;
  readonly limiter: RateLimiter;
  readonly metrics: KindredMetrics;
  readonly cors: CorsOrigins;
  readonly draining: () => boolean;
}

/** Shared by every answer without headers of its own: never added to. */
const NO_HEADERS: FlatHeaders = [];

export class Admission {
  readonly authEnabled: boolean;
  private readonly keyRule: RateRule | null;
  private readonly addressRule: RateRule | null;
  /** The `RateLimit-Policy` of key limits, made once: every keyed request sends it. */
  private readonly keyPolicy: string;
  private readonly trustHops: number;
  private readonly bulkBytes: number;

  constructor(private readonly parts: AdmissionParts) {
    const { config } = parts;
    this.authEnabled = config.auth.masterKey !== '';
    this.keyRule =
      config.rateLimit.perKey > 0
        ? { perSecond: config.rateLimit.perKey, burst: config.rateLimit.perKeyBurst }
        : null;
    this.addressRule =
      config.rateLimit.perAddress > 0
        ? { perSecond: config.rateLimit.perAddress, burst: config.rateLimit.perAddressBurst }
        : null;
    this.keyPolicy = this.keyRule === null ? '' : rateLimitPolicy(this.keyRule);
    this.trustHops = config.rateLimit.trustProxyHops;
    this.bulkBytes = config.overload.bulkBodyBytes;
  }

  /** True when an allowed origin gets CORS headers without a key saying so. */
  originAllowedByConfig(origin: string): boolean {
    return this.parts.cors.any || this.parts.cors.list.has(origin);
  }

  /**
   * Decides on a request to `route`. Synchronous unless the rate limiter answers with a
   * promise (a shared limiter of a cluster).
   */
  admit(
    route: RouteState,
    headers: IncomingHttpHeaders,
    socket: Socket,
  ): AdmissionResult | Promise<AdmissionResult> {
    const { shedder } = this.parts;
    let pool = route.pool;
    let held = -1;
    if (pool !== EXEMPT) {
      if (this.parts.draining())
        return refused(503, DRAINING_BODY, -1, ['connection', 'close', 'retry-after', 1]);
      if (pool === POOL_INDEX.write) {
        const length = headers['content-length'];
        if (length !== undefined && Number(length) > this.bulkBytes) pool = POOL_INDEX.bulk;
      }
      const admission = shedder.admit(pool, socket);
      if (admission !== ADMITTED) {
        const retry: FlatHeaders = ['retry-after', shedder.retryAfterSeconds()];
        // Not reading a large body we refuse is most of what shedding it saves.
        if (pool === POOL_INDEX.bulk) retry.push('connection', 'close');
        return refused(
          503,
          admission === SHED_POOL_FULL ? POOL_FULL_BODY : OVERLOADED_BODY,
          -1,
          retry,
        );
      }
      held = pool;
    }

    const origin = headers.origin;
    if (route.scope === 'public' || !this.authEnabled) {
      const cors =
        origin !== undefined && this.originAllowedByConfig(origin)
          ? corsHeaders(origin)
          : NO_HEADERS;
      return admitted(held, null, cors);
    }

    const token = bearerTokenOf(headers.authorization, headers['x-api-key']);
    if (token === undefined) return this.authFailed(headers, socket, held, 'missing');
    const caller = this.parts.keys.authenticate(token);
    if (typeof caller === 'string') return this.authFailed(headers, socket, held, caller);
    if (!allows(caller.mask, route.scope as Scope)) {
      this.parts.metrics.authFailure('scope');
      return refused(
        403,
        errorBody('FORBIDDEN', `this key lacks the "${route.scope}" scope this route needs`, {
          required: route.scope,
          keyId: caller.id,
        }),
        held,
        NO_HEADERS,
        caller,
      );
    }
    let cors = NO_HEADERS;
    if (origin !== undefined) {
      if (caller.origins !== null) {
        if (!caller.origins.has(origin)) {
          this.parts.metrics.authFailure('origin');
          return refused(403, ORIGIN_BODY, held, NO_HEADERS, caller);
        }
        cors = corsHeaders(origin);
      } else if (this.originAllowedByConfig(origin)) cors = corsHeaders(origin);
    }
    return this.limitRates(headers, socket, held, caller, cors);
  }

  /** The client's address: the socket's, or an `x-forwarded-for` hop behind trusted proxies. */
  clientAddress(headers: IncomingHttpHeaders, socket: Socket): string {
    if (this.trustHops > 0) {
      const forwarded = headers['x-forwarded-for'];
      if (typeof forwarded === 'string') {
        const hops = forwarded.split(',');
        const entry = hops[hops.length - this.trustHops];
        if (entry !== undefined && entry.trim() !== '') return entry.trim();
      }
    }
    return socket.remoteAddress ?? 'unknown';
  }

  /**
   * Rate limits of an authenticated request: per key, and per address for browser keys.
   * `cors` are the headers every answer carries; each outcome adds its own to a copy.
   */
  private limitRates(
    headers: IncomingHttpHeaders,
    socket: Socket,
    held: number,
    caller: AuthenticatedKey,
    cors: FlatHeaders,
  ): AdmissionResult | Promise<AdmissionResult> {
    const { limiter } = this.parts;
    const keyRule = this.keyRule;
    const addressRule = this.addressRule;
    const checkAddress = (answer: FlatHeaders): AdmissionResult | Promise<AdmissionResult> => {
      if (addressRule === null || caller.origins === null) return admitted(held, caller, answer);
      const decision = limiter.take(`a:${this.clientAddress(headers, socket)}`, addressRule);
      const apply = (d: RateDecision): AdmissionResult =>
        d.allowed
          ? admitted(held, caller, answer)
          : this.refuseRate(d, addressRule, 'address', held, caller, cors);
      // A remote limiter that fails must not take the API down: fail open.
      if (decision instanceof Promise)
        return decision.then(apply, () => admitted(held, caller, answer));
      return apply(decision);
    };
    if (keyRule === null || caller.id === 'master') return checkAddress(cors);
    const decision = limiter.take(`k:${caller.id}`, keyRule);
    const apply = (d: RateDecision): AdmissionResult | Promise<AdmissionResult> => {
      if (!d.allowed) return this.refuseRate(d, keyRule, 'key', held, caller, cors);
      return checkAddress(withRateHeaders(cors, d, this.keyPolicy));
    };
    if (decision instanceof Promise) return decision.then(apply, () => checkAddress(cors));
    return apply(decision);
  }

  private refuseRate(
    decision: RateDecision,
    rule: RateRule,
    limit: 'key' | 'address',
    held: number,
    caller: AuthenticatedKey | null,
    cors: FlatHeaders,
  ): AdmissionResult {
    this.parts.metrics.rateLimitHit(limit);
    return refused(
      429,
      errorBody(
        'RATE_LIMITED',
        `too many requests for this ${limit === 'key' ? 'API key' : 'client address'}; retry after ${decision.retryAfterSeconds} s`,
        { limit, retryAfterSeconds: decision.retryAfterSeconds },
      ),
      held,
      [
        ...withRateHeaders(cors, decision, rateLimitPolicy(rule)),
        'retry-after',
        decision.retryAfterSeconds,
      ],
      caller,
    );
  }

  /** Counts failed authentications per address, so guessing keys is rate limited too. */
  private authFailed(
    headers: IncomingHttpHeaders,
    socket: Socket,
    held: number,
    reason: string,
  ): AdmissionResult | Promise<AdmissionResult> {
    this.parts.metrics.authFailure(reason);
    const body = reason === 'missing' ? MISSING_KEY_BODY : (BAD_KEY_BODIES[reason] as string);
    const unauthorized = (): AdmissionResult =>
      refused(401, body, held, ['www-authenticate', 'Bearer realm="kindred"']);
    const addressRule = this.addressRule;
    if (addressRule === null) return unauthorized();
    const address = this.clientAddress(headers, socket);
    const decision = this.parts.limiter.take(`a:${address}`, addressRule);
    const apply = (d: RateDecision): AdmissionResult =>
      d.allowed
        ? unauthorized()
        : this.refuseRate(d, addressRule, 'address', held, null, NO_HEADERS);
    // A shared limiter answers later; guessing keys is limited across the nodes all the same.
    if (decision instanceof Promise) return decision.then(apply, unauthorized);
    return apply(decision);
  }
}

function admitted(
  pool: number,
  caller: AuthenticatedKey | null,
  headers: FlatHeaders,
): AdmissionResult {
  return { status: 0, pool, caller, headers, body: '' };
}

function refused(
  status: number,
  body: string,
  pool: number,
  headers: FlatHeaders,
  caller: AuthenticatedKey | null = null,
): AdmissionResult {
  return { status, pool, caller, headers, body };
}

/** `headers` followed by a decision's RateLimit-* fields (IETF draft names, lower-case). */
function withRateHeaders(
  headers: FlatHeaders,
  decision: RateDecision,
  policy: string,
): FlatHeaders {
  return [
    ...headers,
    'ratelimit-limit',
    decision.limit,
    'ratelimit-remaining',
    decision.remaining,
    'ratelimit-reset',
    decision.resetSeconds,
    'ratelimit-policy',
    policy,
  ];
}

function corsHeaders(origin: string): FlatHeaders {
  return [
    'access-control-allow-origin',
    origin,
    'access-control-expose-headers',
    CORS_EXPOSED_HEADERS,
    'vary',
    'origin',
  ];
}

/** The key a request carries: `Authorization: Bearer KEY`, or `x-api-key: KEY`. */
export function bearerTokenOf(
  authorization: string | undefined,
  apiKey: string | string[] | undefined,
): string | undefined {
  if (typeof authorization === 'string' && authorization.length > 7) {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer')
      return authorization.slice(space + 1).trim();
  }
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey.trim();
  return undefined;
}
