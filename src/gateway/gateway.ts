// The gateway of one HTTP app: builds its parts from the settings (keys, shedder, limiter,
// metrics, tracing) and wires them into the framework, the direct route and the lifecycle.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { KindredConfig } from '../config/settings.js';
import { ConfigError } from '../config/load.js';
import { KindredError } from '../errors/catalog.js';
import type { StateStore } from '../ports/state-store.js';
import { KindredMetrics, type MetricsSources } from '../observability/metrics.js';
import { NO_TRACE, Tracing, type SpanHandle, type TraceHandle } from '../observability/tracing.js';
import { Admission } from './admission.js';
import { ApiKeyStore, type AuthenticatedKey } from './api-keys.js';
import { directGate, type DirectGate } from './direct-gate.js';
import { registerFrameworkHooks } from './framework-hooks.js';
import {
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CORS_MAX_AGE_SECONDS,
  parseCorsOrigins,
  type CorsOrigins,
} from './http-headers.js';
import { LoadShedder } from './load-shedder.js';
import type { RateLimiter } from './rate-limiter.js';
import { POOLS, type Pool, type RoutePolicy } from './route-policy.js';
import type { GatewayRoute } from './route-states.js';
import { TokenBucketLimiter } from './token-bucket.js';

export type { DirectAdmission, DirectGate } from './direct-gate.js';
export { DELEGATE } from './direct-gate.js';
export type { GatewayRoute, RouteConfigWithPolicy } from './route-states.js';

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

/** The gateway's parts, built from the settings (the server wires them into its hooks). */
export interface GatewayParts {
  readonly config: KindredConfig;
  readonly keys: ApiKeyStore;
  readonly shedder: LoadShedder;
  readonly limiter: RateLimiter;
  readonly metrics: KindredMetrics;
  readonly tracing: Tracing;
  readonly cors: CorsOrigins;
}

export function createGatewayParts(deps: GatewayDeps): GatewayParts {
  const { config } = deps;
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
  const pools: MetricsSources['pools'] = {
    names: POOLS.filter((p) => p !== 'exempt'),
    inFlight: (pool) => shedder.inFlightOf(pool as Pool),
    shed: (pool, reason) => shedder.shedCount(pool as Pool, reason),
    maxWaitMs: () => shedder.takeMaxWait(),
    shedding: () => shedder.shedding,
  };
  return {
    config,
    keys,
    shedder,
    limiter: deps.rateLimiter ?? new TokenBucketLimiter(),
    metrics: new KindredMetrics({ engineStatus: () => deps.engine.status(), pools }),
    tracing: new Tracing({
      otlpEndpoint: config.tracing.otlpEndpoint,
      sampleRatio: config.tracing.sampleRatio,
      ...(deps.spanExporter ? { exporter: deps.spanExporter } : {}),
    }),
    cors,
  };
}

/**
 * Registers the production surface on `app`, before its routes: authentication and
 * scopes, rate limits, load shedding, timeouts, CORS and security headers (one admission
 * path, `admission.ts`, for the framework's hooks and the direct route), metrics
 * (`/metrics`) and tracing. Every route registered after this call is covered; its scope
 * and pool come from `route-policy.ts`.
 */
export function registerGateway(
  app: FastifyInstance,
  deps: GatewayDeps,
  parts: GatewayParts = createGatewayParts(deps),
): Gateway {
  const { config, keys, shedder, limiter, metrics, tracing } = parts;
  let draining = false;
  const isDraining = (): boolean => draining;
  const admission = new Admission({ ...parts, draining: isDraining });
  const routes: GatewayRoute[] = [];
  const gateway: Gateway = {
    keys,
    metrics,
    tracing,
    shedder,
    limiter,
    authEnabled: admission.authEnabled,
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    routes: () => routes,
    direct: (method, url, policy) =>
      directGate(method, url, policy, {
        config,
        admission,
        shedder,
        metrics,
        tracingOn: tracing.enabled,
      }),
  };
  app.decorate('kindredGateway', gateway);
  registerFrameworkHooks(app, {
    config,
    admission,
    shedder,
    metrics,
    tracing,
    draining: isDraining,
    routes,
  });
  registerLifecycle(app, parts, () => (draining = true));
  registerGatewayRoutes(app, parts, admission);
  return gateway;
}

/** Key refresh while serving; draining from the start of closing; the parts shut down at the end. */
function registerLifecycle(app: FastifyInstance, parts: GatewayParts, drain: () => void): void {
  const { config, keys, shedder, limiter, metrics, tracing } = parts;
  let refreshTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await keys.refresh();
    refreshTimer = setInterval(() => {
      keys
        .refresh()
        .catch((error: unknown) => app.log.warn({ err: error }, 'API key refresh failed'));
    }, config.keys.refreshSeconds * 1000);
    refreshTimer.unref();
    if (config.auth.masterKey !== '')
      app.log.info({ keys: keys.size, tracing: tracing.enabled }, 'gateway: authentication on');
  });
  app.addHook('preClose', (done) => {
    drain();
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
}

/** The gateway's own routes: `/metrics`, and CORS preflight for every path. */
function registerGatewayRoutes(
  app: FastifyInstance,
  parts: GatewayParts,
  admission: Admission,
): void {
  const { keys, metrics } = parts;
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
    if (!admission.originAllowedByConfig(origin) && !keys.allOrigins.has(origin))
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
}
