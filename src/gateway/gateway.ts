import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { KindredConfig } from '../config/settings.js';
import { ConfigError } from '../config/load.js';
import { KindredError, type ErrorCode } from '../errors/catalog.js';
import type { StateStore } from '../ports/state-store.js';
import { KindredMetrics, type MetricsSources } from '../observability/metrics.js';
import {
  NO_TRACE,
  SpanStatusCode,
  Tracing,
  type SpanHandle,
  type TraceHandle,
} from '../observability/tracing.js';
import { ApiKeyStore, type AuthenticatedKey } from './api-keys.js';
import {
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  SECURITY_HEADERS,
  parseCorsOrigins,
  type CorsOrigins,
} from './http-headers.js';
import { ADMITTED, EXEMPT, LoadShedder, POOL_INDEX, SHED_POOL_FULL } from './load-shedder.js';
import {
  rateLimitHeaders,
  rateLimitPolicy,
  type RateDecision,
  type RateLimiter,
  type RateRule,
} from './rate-limiter.js';
import { POOLS, listedPolicy, policyFor, type Pool, type RoutePolicy } from './route-policy.js';
import { allows, scopeBit, type RouteScope, type Scope } from './scopes.js';
import { TokenBucketLimiter } from './token-bucket.js';

/** What the gateway needs from the engine: its state store (keys) and its log position (metrics). */
export interface GatewayEngine {
  readonly store: StateStore;
  status(): Promise<{ checkpoint: number; lastOffset: number; lag: number }>;
}

export interface GatewayDeps {
  readonly config: KindredConfig;
  readonly engine: GatewayEngine;
  /** The rate-limiter adapter (default: in-memory token buckets). */
  readonly rateLimiter?: RateLimiter;
  /** Tests: export spans here (synchronously) instead of OTLP. */
  readonly spanExporter?: SpanExporter;
  /** Tests: the clock of key expiry. */
  readonly now?: () => number;
}

/** The gateway of one HTTP app; `app.kindredGateway` after `registerGateway`. */
export interface Gateway {
  readonly keys: ApiKeyStore;
  readonly metrics: KindredMetrics;
  readonly tracing: Tracing;
  readonly shedder: LoadShedder;
  readonly limiter: RateLimiter;
  /** True when a master key is configured. */
  readonly authEnabled: boolean;
  readonly draining: boolean;
  /** From now on: new requests get 503 NOT_READY, answers close their connection. */
  drain(): void;
  /** Every route registered since the gateway, with its scope and pool. */
  routes(): readonly GatewayRoute[];
  /**
   * The checks of a route answered on node:http directly, outside the framework (the hot
   * read, see `http/direct-recommendations.ts`); `policy` as for `config.policy`.
   */
  direct(method: string, url: string, policy: RoutePolicy): DirectGate;
}

/** A request admitted by a `DirectGate`: its pool slot and the headers its answer carries. */
export interface DirectAdmission {
  readonly pool: number;
  readonly requestId: string;
  /**
   * The answer's headers but its request id and length, as `writeHead` takes them flat:
   * name, value, name, value... (node:http walks an array faster than an object's keys).
   */
  readonly headers: readonly (string | number)[];
  /** The request's connection (the load shedder notes when it was answered). */
  readonly connection: object;
}

/**
 * The gateway's checks for one route answered outside the framework. `admit` handles the
 * plain case alone: an admitted request, with no key needed or a server key in scope and
 * within its rate. Anything else (draining, tracing on, a missing or refused key, an
 * `Origin`, a browser key, a rate limit reached, an asynchronous limiter) is left to the
 * framework route (`DELEGATE`), which answers it as for any other route. A shed request
 * is answered here (503): asking the shedder twice would count it twice.
 */
export interface DirectGate {
  admit(
    req: IncomingMessage,
    res: ServerResponse,
  ): DirectAdmission | typeof DELEGATE | typeof ANSWERED;
  /** After the answer is written: frees the pool slot, observes the duration. */
  finish(admission: DirectAdmission, status: number, elapsedMs: number): void;
}

/** `DirectGate.admit`: the framework route must take this request. */
export const DELEGATE = 0;
/** `DirectGate.admit`: the request was answered (shed). */
export const ANSWERED = 1;

/** Per route and method, computed once when the route is registered. */
interface RouteState {
  readonly method: string;
  readonly route: string;
  readonly scope: RouteScope;
  readonly scopeBit: number;
  readonly pool: number;
  /** Histogram children by status, filled on first use. */
  readonly durations: Map<number, { observe(value: number): void }>;
  readonly spanName: string;
}

const ROUTE_STATES = 'kindredGateway';

declare module 'fastify' {
  interface FastifyRequest {
    /** The pool slot this request holds (-1: none). */
    kindredPool: number;
    /** ms from the start of the request to its answer being sent (-1: not yet). */
    kindredService: number;
    /** A bulk write whose body is in and whose work has begun. */
    kindredBulkWorking: boolean;
    kindredRoute: unknown;
    kindredCaller: AuthenticatedKey | null;
    kindredSpan: SpanHandle | null;
  }
  interface FastifyInstance {
    kindredGateway: Gateway;
  }
}

/** The caller of a request (null while authentication is off or for public routes). */
export function requestCaller(request: FastifyRequest): AuthenticatedKey | null {
  return request.kindredCaller;
}

/**
 * The trace of a request, for a pipeline to wrap its stages:
 * `const trace = requestTrace(request); const found = trace.stage('retrieve', () => ...)`.
 * NO_TRACE (which just calls the function) when tracing is off or the request not sampled.
 */
export function requestTrace(request: FastifyRequest): TraceHandle {
  return request.kindredSpan ?? NO_TRACE;
}

/**
 * A long-lived stream (route policy `stream: true`) calls this once its first answer is
 * out. Its setup was admitted and timed like any request of its pool; holding the slot
 * for the stream's lifetime would let a few idle listeners starve the pool's requests.
 */
export function streamEstablished(request: FastifyRequest, reply: FastifyReply): void {
  if (request.kindredPool < 0) return;
  request.server.kindredGateway.shedder.complete(request.kindredPool, reply.elapsedTime);
  request.kindredPool = -1;
}

function errorBody(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): string {
  return JSON.stringify(new KindredError(code, message, details).toBody());
}

const OVERLOADED_BODY = errorBody(
  'OVERLOADED',
  'the engine is shedding load to keep serving the rest quickly; retry after Retry-After seconds',
);
const POOL_FULL_BODY = errorBody(
  'OVERLOADED',
  'too many requests of this kind are in flight; retry after Retry-After seconds',
);
const DRAINING_BODY = errorBody('NOT_READY', 'the engine is shutting down; retry on another node');
const MISSING_KEY_BODY = errorBody(
  'UNAUTHORIZED',
  'this route needs an API key: send Authorization: Bearer KEY or x-api-key: KEY',
  { reason: 'missing' },
);
const BAD_KEY_BODIES: Readonly<Record<string, string>> = {
  invalid: errorBody('UNAUTHORIZED', 'the API key is not valid', { reason: 'invalid' }),
  expired: errorBody('UNAUTHORIZED', 'the API key has expired', { reason: 'expired' }),
  revoked: errorBody('UNAUTHORIZED', 'the API key has been revoked', { reason: 'revoked' }),
};
const ORIGIN_BODY = errorBody(
  'ORIGIN_NOT_ALLOWED',
  'this origin may not use this key (see the key origins and cors.origins)',
);
const JSON_TYPE = 'application/json; charset=utf-8';
const SAFE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** A route may declare its policy in its own options: `config: { policy: { scope, pool } }`. */
export interface RouteConfigWithPolicy {
  readonly policy?: RoutePolicy;
}

/** One registered route as the gateway sees it (for audits and the coverage test). */
export interface GatewayRoute {
  readonly method: string;
  readonly url: string;
  readonly scope: RouteScope;
  readonly pool: Pool;
  /** False when neither the table nor the route's options name a policy (it then gets admin). */
  readonly explicit: boolean;
}

function routeStateFor(
  method: string,
  url: string,
  config: KindredConfig,
  declared: RoutePolicy | undefined,
): RouteState {
  let policy = declared ?? policyFor(method, url);
  if (url === '/metrics' && config.metrics.public) policy = { ...policy, scope: 'public' };
  return {
    method,
    route: url,
    scope: policy.scope,
    scopeBit: policy.scope === 'public' ? 0 : scopeBit(policy.scope),
    pool: POOL_INDEX[policy.pool],
    durations: new Map(),
    spanName: `${method} ${url}`,
  };
}

/** A route registered before the gateway (so unknown to it): the strictest policy. */
const UNLISTED_ROUTE: RouteState = {
  method: '*',
  route: '(registered before the gateway)',
  scope: 'admin',
  scopeBit: scopeBit('admin'),
  pool: POOL_INDEX.admin,
  durations: new Map(),
  spanName: 'HTTP (unlisted route)',
};

/** Requests that matched no route: no key needed (they answer 404), pooled as reads. */
const NOT_FOUND_ROUTE: RouteState = {
  method: '*',
  route: '(unmatched)',
  scope: 'public',
  scopeBit: 0,
  pool: POOL_INDEX.read,
  durations: new Map(),
  spanName: 'HTTP (unmatched route)',
};

function bearerToken(request: FastifyRequest): string | undefined {
  return bearerTokenOf(request.headers.authorization, request.headers['x-api-key']);
}

function bearerTokenOf(
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

/**
 * Registers the production surface on `app`, before its routes: authentication and
 * scopes, rate limits, load shedding, timeouts, CORS and security headers, metrics
 * (`/metrics`) and tracing. Every route registered after this call is covered; its scope
 * and pool come from `route-policy.ts`. The routes that manage API keys (`/v1/keys`) are
 * the HTTP layer's (`http/routes/api-keys.ts`), over `keys` of the gateway returned.
 */
export function registerGateway(app: FastifyInstance, deps: GatewayDeps): Gateway {
  const { config } = deps;
  const authEnabled = config.auth.masterKey !== '';
  let cors: CorsOrigins;
  try {
    cors = parseCorsOrigins(config.cors.origins);
  } catch (error) {
    throw new ConfigError(`cors.origins: ${(error as Error).message}`);
  }
  const keys = new ApiKeyStore(deps.engine.store, {
    masterKey: config.auth.masterKey,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const shedder = new LoadShedder({
    limits: {
      read: config.overload.readConcurrency,
      write: config.overload.writeConcurrency,
      bulk: config.overload.bulkConcurrency,
      admin: config.overload.adminConcurrency,
    },
    maxDelayMs: config.overload.maxEventLoopDelayMs,
  });
  const limiter = deps.rateLimiter ?? new TokenBucketLimiter();
  const keyRule: RateRule | null =
    config.rateLimit.perKey > 0
      ? { perSecond: config.rateLimit.perKey, burst: config.rateLimit.perKeyBurst }
      : null;
  const addressRule: RateRule | null =
    config.rateLimit.perAddress > 0
      ? { perSecond: config.rateLimit.perAddress, burst: config.rateLimit.perAddressBurst }
      : null;
  const keyPolicy = keyRule === null ? '' : rateLimitPolicy(keyRule);
  const trustHops = config.rateLimit.trustProxyHops;
  const bulkBytes = config.overload.bulkBodyBytes;
  const handlerTimeout = config.overload.handlerTimeoutMs;

  const pools: MetricsSources['pools'] = {
    names: POOLS.filter((p) => p !== 'exempt'),
    inFlight: (pool) => shedder.inFlightOf(pool as Pool),
    shed: (pool, reason) => shedder.shedCount(pool as Pool, reason),
    maxWaitMs: () => shedder.takeMaxWait(),
    shedding: () => shedder.shedding,
  };
  const metrics = new KindredMetrics({ engineStatus: () => deps.engine.status(), pools });
  const tracing = new Tracing({
    otlpEndpoint: config.tracing.otlpEndpoint,
    sampleRatio: config.tracing.sampleRatio,
    ...(deps.spanExporter ? { exporter: deps.spanExporter } : {}),
  });
  const tracingOn = tracing.enabled;

  let draining = false;
  const routes: GatewayRoute[] = [];
  const gateway: Gateway = {
    keys,
    metrics,
    tracing,
    shedder,
    limiter,
    authEnabled,
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    routes: () => routes,
    direct: (method, url, policy) => directGate(method, url, policy),
  };
  app.decorate('kindredGateway', gateway);
  app.decorateRequest('kindredPool', -1);
  app.decorateRequest('kindredService', -1);
  app.decorateRequest('kindredBulkWorking', false);
  app.decorateRequest('kindredRoute', null);
  app.decorateRequest('kindredCaller', null);
  app.decorateRequest('kindredSpan', null);

  const clientAddress = (request: FastifyRequest): string => {
    if (trustHops > 0) {
      const forwarded = request.headers['x-forwarded-for'];
      if (typeof forwarded === 'string') {
        const hops = forwarded.split(',');
        const entry = hops[hops.length - trustHops];
        if (entry !== undefined && entry.trim() !== '') return entry.trim();
      }
    }
    return request.socket.remoteAddress ?? 'unknown';
  };

  const originAllowedByConfig = (origin: string): boolean => cors.any || cors.list.has(origin);

  const setCors = (reply: FastifyReply, origin: string): void => {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', CORS_EXPOSED_HEADERS);
    reply.header('vary', 'origin');
  };

  const reject = (reply: FastifyReply, status: number, body: string): void => {
    void reply.code(status).header('content-type', JSON_TYPE).send(body);
  };

  const refuseRate = (
    reply: FastifyReply,
    decision: RateDecision,
    rule: RateRule,
    limit: 'key' | 'address',
  ): void => {
    metrics.rateLimitHit(limit);
    void reply
      .code(429)
      .headers(rateLimitHeaders(decision, rule))
      .header('retry-after', decision.retryAfterSeconds)
      .header('content-type', JSON_TYPE)
      .send(
        errorBody(
          'RATE_LIMITED',
          `too many requests for this ${limit === 'key' ? 'API key' : 'client address'}; retry after ${decision.retryAfterSeconds} s`,
          { limit, retryAfterSeconds: decision.retryAfterSeconds },
        ),
      );
  };

  /** Rate limits of an authenticated request: per key, and per address for browser keys. */
  const limitRates = (
    request: FastifyRequest,
    reply: FastifyReply,
    caller: AuthenticatedKey,
    next: () => void,
  ): void => {
    const checkAddress = (): void => {
      if (addressRule === null || caller.origins === null) return next();
      const decision = limiter.take(`a:${clientAddress(request)}`, addressRule);
      if (decision instanceof Promise) {
        decision.then(
          (d) => (d.allowed ? next() : refuseRate(reply, d, addressRule, 'address')),
          () => next(),
        );
        return;
      }
      if (!decision.allowed) return refuseRate(reply, decision, addressRule, 'address');
      next();
    };
    if (keyRule === null || caller.id === 'master') return checkAddress();
    const decision = limiter.take(`k:${caller.id}`, keyRule);
    const apply = (d: RateDecision): void => {
      if (!d.allowed) return refuseRate(reply, d, keyRule, 'key');
      // The hot path of every API-key request: no object, the policy text made once.
      reply
        .header('ratelimit-limit', d.limit)
        .header('ratelimit-remaining', d.remaining)
        .header('ratelimit-reset', d.resetSeconds)
        .header('ratelimit-policy', keyPolicy);
      checkAddress();
    };
    if (decision instanceof Promise) {
      // A remote limiter that fails must not take the API down: fail open.
      decision.then(apply, () => checkAddress());
      return;
    }
    apply(decision);
  };

  /** Counts failed authentications per address, so guessing keys is rate limited too. */
  const authFailed = (
    request: FastifyRequest,
    reply: FastifyReply,
    reason: string,
    body: string,
  ): void => {
    metrics.authFailure(reason);
    if (addressRule !== null) {
      const decision = limiter.take(`a:${clientAddress(request)}`, addressRule);
      if (!(decision instanceof Promise) && !decision.allowed)
        return refuseRate(reply, decision, addressRule, 'address');
    }
    reply.header('www-authenticate', 'Bearer realm="kindred"');
    reject(reply, 401, body);
  };

  /**
   * Once a bulk write's body is in, its work begins (parsing it first): the delay guard
   * must know. A body still trickling in does not count.
   */
  const markBulkWork = (
    request: FastifyRequest,
    _reply: FastifyReply,
    payload: NodeJS.ReadableStream,
    done: (error: Error | null, payload?: NodeJS.ReadableStream) => void,
  ): void => {
    if (request.kindredPool === POOL_INDEX.bulk)
      payload.once('end', () => {
        if (request.kindredBulkWorking || request.kindredPool < 0) return;
        request.kindredBulkWorking = true;
        shedder.bulkBegan();
      });
    done(null, payload);
  };

  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    const methods = Array.isArray(routeOptions.method)
      ? routeOptions.method
      : [routeOptions.method];
    const declared = (routeOptions.config as RouteConfigWithPolicy | undefined)?.policy;
    const states: Record<string, RouteState> = {};
    for (const method of methods) {
      const state = routeStateFor(method, routeOptions.url, config, declared);
      states[method] = state;
      routes.push({
        method,
        url: routeOptions.url,
        scope: state.scope,
        pool: POOLS[state.pool] as Pool,
        explicit: declared !== undefined || listedPolicy(method, routeOptions.url) !== undefined,
      });
    }
    routeOptions.config = {
      ...(routeOptions.config ?? {}),
      [ROUTE_STATES]: states,
    } as typeof routeOptions.config;
    if (
      routeOptions.handlerTimeout === undefined &&
      handlerTimeout > 0 &&
      declared?.stream !== true
    )
      routeOptions.handlerTimeout = handlerTimeout;
    if (
      Object.values(states).some((s) => s.pool === POOL_INDEX.write || s.pool === POOL_INDEX.bulk)
    )
      routeOptions.preParsing = appendHook(routeOptions.preParsing, markBulkWork as never);
    if (methods.includes('POST') && routeOptions.url === '/v1/events') {
      const existing = routeOptions.preSerialization;
      const countEvents = (
        _request: FastifyRequest,
        _reply: FastifyReply,
        payload: unknown,
        done: (error: Error | null, payload?: unknown) => void,
      ): void => {
        countEventResults(metrics, payload);
        done(null, payload);
      };
      routeOptions.preSerialization = appendHook(existing, countEvents);
    }
  });

  app.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const states = (request.routeOptions.config as unknown as Record<string, unknown>)[
        ROUTE_STATES
      ] as Record<string, RouteState> | undefined;
      const route = states?.[request.method] ?? (request.is404 ? NOT_FOUND_ROUTE : UNLISTED_ROUTE);
      request.kindredRoute = route;
      if (!SAFE_REQUEST_ID.test(request.id)) {
        // A client-sent x-request-id that is huge or odd is replaced, not echoed or logged.
        request.id = `req-${Math.random().toString(36).slice(2, 12)}`;
        request.log = app.log.child({ reqId: request.id });
        reply.log = request.log;
      }
      reply.headers(SECURITY_HEADERS);

      let pool = route.pool;
      if (pool !== EXEMPT) {
        if (draining) {
          reply.header('connection', 'close').header('retry-after', 1);
          return reject(reply, 503, DRAINING_BODY);
        }
        if (pool === POOL_INDEX.write) {
          const length = request.headers['content-length'];
          if (length !== undefined && Number(length) > bulkBytes) pool = POOL_INDEX.bulk;
        }
        const admission = shedder.admit(pool, request.raw.socket);
        if (admission !== ADMITTED) {
          reply.header('retry-after', shedder.retryAfterSeconds());
          // Not reading a large body we refuse is most of what shedding it saves.
          if (pool === POOL_INDEX.bulk) reply.header('connection', 'close');
          return reject(
            reply,
            503,
            admission === SHED_POOL_FULL ? POOL_FULL_BODY : OVERLOADED_BODY,
          );
        }
        request.kindredPool = pool;
      }

      if (tracingOn) {
        const path = request.url;
        const query = path.indexOf('?');
        const span = tracing.startServerSpan(
          route.spanName,
          {
            [ATTR_HTTP_REQUEST_METHOD]: request.method,
            [ATTR_HTTP_ROUTE]: route.route,
            [ATTR_URL_PATH]: query < 0 ? path : path.slice(0, query),
            [ATTR_CLIENT_ADDRESS]: request.socket.remoteAddress ?? '',
            'kindred.request_id': request.id,
          },
          request.headers.traceparent as string | undefined,
        );
        if (span) {
          request.kindredSpan = span;
          request.log = request.log.child({ trace_id: span.traceId, span_id: span.spanId });
          reply.log = request.log;
        }
      }

      const origin = request.headers.origin;
      if (route.scope === 'public' || !authEnabled) {
        if (origin !== undefined && originAllowedByConfig(origin)) setCors(reply, origin);
        return done();
      }

      const token = bearerToken(request);
      if (token === undefined) return authFailed(request, reply, 'missing', MISSING_KEY_BODY);
      const caller = keys.authenticate(token);
      if (typeof caller === 'string')
        return authFailed(request, reply, caller, BAD_KEY_BODIES[caller] as string);
      request.kindredCaller = caller;
      request.kindredSpan?.setAttribute('kindred.api_key_id', caller.id);
      if (!allows(caller.mask, route.scope as Scope)) {
        metrics.authFailure('scope');
        return reject(
          reply,
          403,
          errorBody('FORBIDDEN', `this key lacks the "${route.scope}" scope this route needs`, {
            required: route.scope,
            keyId: caller.id,
          }),
        );
      }
      if (origin !== undefined) {
        if (caller.origins !== null) {
          if (!caller.origins.has(origin)) {
            metrics.authFailure('origin');
            return reject(reply, 403, ORIGIN_BODY);
          }
          setCors(reply, origin);
        } else if (originAllowedByConfig(origin)) setCors(reply, origin);
      }
      limitRates(request, reply, caller, done);
    },
  );

  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.kindredPool >= 0) request.kindredService = reply.elapsedTime;
    if (request.kindredBulkWorking) {
      request.kindredBulkWorking = false;
      shedder.bulkEnded();
    }
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook(
    'onResponse',
    (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      shedder.answered(request.raw.socket);
      if (request.kindredPool >= 0) {
        shedder.complete(request.kindredPool, request.kindredService);
        request.kindredPool = -1;
      }
      if (request.kindredBulkWorking) {
        request.kindredBulkWorking = false;
        shedder.bulkEnded();
      }
      const route = (request.kindredRoute as RouteState | null) ?? NOT_FOUND_ROUTE;
      const status = reply.statusCode;
      let child = route.durations.get(status);
      if (child === undefined) {
        child = metrics.durationChild(
          route.method === '*' ? request.method : route.method,
          route.route,
          status,
        );
        route.durations.set(status, child);
      }
      child.observe(reply.elapsedTime / 1000);
      const span = request.kindredSpan;
      if (span) {
        span.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (status >= 500) span.span.setStatus({ code: SpanStatusCode.ERROR });
        span.span.end();
        request.kindredSpan = null;
      }
      done();
    },
  );

  // A request the client abandoned still gives its slot back (onResponse may not run).
  app.addHook('onRequestAbort', (request: FastifyRequest, done: HookHandlerDoneFunction) => {
    if (request.kindredPool >= 0) {
      shedder.release(request.kindredPool);
      request.kindredPool = -1;
    }
    if (request.kindredBulkWorking) {
      request.kindredBulkWorking = false;
      shedder.bulkEnded();
    }
    done();
  });

  let directIds = 0;
  const directGate = (method: string, url: string, policy: RoutePolicy): DirectGate => {
    const route = routeStateFor(method, url, config, policy);
    const plainHeaders = { ...SECURITY_HEADERS, 'content-type': JSON_TYPE };
    const plainList: readonly string[] = Object.entries(plainHeaders).flat();
    const durationOf = (status: number): { observe(value: number): void } => {
      let child = route.durations.get(status);
      if (child === undefined) {
        child = metrics.durationChild(method, url, status);
        route.durations.set(status, child);
      }
      return child;
    };
    // Only synchronous limiters: once a token is taken the request cannot be handed over.
    const limiterSynchronous = deps.rateLimiter === undefined;
    return {
      admit(req, res) {
        if (draining || tracingOn || req.headers.origin !== undefined) return DELEGATE;
        let caller: AuthenticatedKey | undefined;
        if (authEnabled && route.scope !== 'public') {
          const token = bearerTokenOf(req.headers.authorization, req.headers['x-api-key']);
          if (token === undefined) return DELEGATE;
          const found = keys.authenticate(token);
          if (typeof found === 'string' || found.origins !== null) return DELEGATE;
          if (!allows(found.mask, route.scope as Scope)) return DELEGATE;
          if (keyRule !== null && found.id !== 'master' && !limiterSynchronous) return DELEGATE;
          caller = found;
        }
        const header = req.headers['x-request-id'];
        const requestId =
          typeof header === 'string' && SAFE_REQUEST_ID.test(header)
            ? header
            : `req-d${(directIds++).toString(36)}`;
        const connection = req.socket;
        const admission = shedder.admit(route.pool, connection);
        if (admission !== ADMITTED) {
          const body = admission === SHED_POOL_FULL ? POOL_FULL_BODY : OVERLOADED_BODY;
          res.writeHead(503, {
            ...plainHeaders,
            'x-request-id': requestId,
            'retry-after': String(shedder.retryAfterSeconds()),
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
          shedder.answered(connection);
          durationOf(503).observe(0);
          return ANSWERED;
        }
        let headers: readonly (string | number)[] = plainList;
        if (caller !== undefined && keyRule !== null && caller.id !== 'master') {
          const decision = limiter.take(`k:${caller.id}`, keyRule) as RateDecision;
          if (!decision.allowed) {
            // The framework route takes the refusal from here (the bucket stays empty).
            shedder.release(route.pool);
            return DELEGATE;
          }
          headers = [
            ...plainList,
            'ratelimit-limit',
            decision.limit,
            'ratelimit-remaining',
            decision.remaining,
            'ratelimit-reset',
            decision.resetSeconds,
            'ratelimit-policy',
            keyPolicy,
          ];
        }
        return { pool: route.pool, requestId, headers, connection };
      },
      finish(admission, status, elapsedMs) {
        shedder.answered(admission.connection);
        shedder.complete(admission.pool, elapsedMs);
        durationOf(status).observe(elapsedMs / 1000);
      },
    };
  };

  let refreshTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await keys.refresh();
    refreshTimer = setInterval(() => {
      keys
        .refresh()
        .catch((error: unknown) => app.log.warn({ err: error }, 'API key refresh failed'));
    }, config.keys.refreshSeconds * 1000);
    refreshTimer.unref();
    if (authEnabled)
      app.log.info({ keys: keys.size, tracing: tracingOn }, 'gateway: authentication on');
  });
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  app.addHook('onClose', async () => {
    if (refreshTimer) clearInterval(refreshTimer);
    shedder.close();
    metrics.close();
    await limiter.close();
    await tracing
      .shutdown()
      .catch((error: unknown) => app.log.warn({ err: error }, 'flushing traces failed'));
  });

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text format)', tags: ['admin'], hide: false } },
    async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.header('content-type', contentType).send(body);
    },
  );

  app.options('/*', { schema: { hide: true } }, async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return reply.status(204).header('allow', CORS_ALLOWED_METHODS).send();
    if (!originAllowedByConfig(origin) && !keys.allOrigins.has(origin))
      throw new KindredError(
        'ORIGIN_NOT_ALLOWED',
        `origin ${origin.slice(0, 200)} may not call this API`,
      );
    return reply
      .status(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', CORS_ALLOWED_METHODS)
      .header('access-control-allow-headers', CORS_ALLOWED_HEADERS)
      .header('access-control-max-age', CORS_MAX_AGE_SECONDS)
      .header('vary', 'origin')
      .send();
  });

  return gateway;
}

/** Adds a hook after a route's own hooks of the same kind. */
function appendHook<T>(existing: T | T[] | undefined, hook: T): T | T[] {
  if (existing === undefined) return hook;
  return [...(Array.isArray(existing) ? existing : [existing]), hook];
}

/** Counts the events of a POST /v1/events answer: accepted, duplicates, refused by code. */
function countEventResults(metrics: KindredMetrics, payload: unknown): void {
  if (payload === null || typeof payload !== 'object') return;
  const body = payload as Record<string, unknown>;
  const error = body['error'] as { code?: string; details?: Record<string, unknown> } | undefined;
  if (error && typeof error === 'object') {
    const invalid = error.details?.['invalidRows'];
    metrics.eventsRefused(error.code ?? 'INTERNAL', typeof invalid === 'number' ? invalid : 1);
    return;
  }
  if (typeof body['accepted'] === 'number') {
    metrics.eventsWritten(body['accepted'], (body['duplicates'] as number) ?? 0);
    if ((body['rejected'] as number) > 0 && Array.isArray(body['results'])) {
      for (const row of body['results'] as Array<{ error?: { code?: string } }>) {
        if (row.error) metrics.eventsRefused(row.error.code ?? 'INVALID_REQUEST', 1);
      }
    }
    return;
  }
  if (body['status'] === 'accepted') metrics.eventsWritten(1, 0);
  else if (body['status'] === 'duplicate') metrics.eventsWritten(0, 1);
}
