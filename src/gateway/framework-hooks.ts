// The gateway in the framework's request cycle: route states when routes are registered,
// admission (the shared path) and tracing when a request arrives, pool slots, metrics and
// spans when it is answered or abandoned.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { KindredConfig } from '../config/settings.js';
import type { KindredMetrics } from '../observability/metrics.js';
import { SpanStatusCode, type Tracing } from '../observability/tracing.js';
import type { Admission, AdmissionResult } from './admission.js';
import { SAFE_REQUEST_ID, SECURITY_HEADERS } from './http-headers.js';
import { EXEMPT, type LoadShedder, POOL_INDEX } from './load-shedder.js';
import { JSON_TYPE } from './refusals.js';
import { POOLS, listedPolicy, type Pool } from './route-policy.js';
import {
  NOT_FOUND_ROUTE,
  ROUTE_STATES,
  UNLISTED_ROUTE,
  routeStateFor,
  type GatewayRoute,
  type RouteConfigWithPolicy,
  type RouteState,
} from './route-states.js';

export interface FrameworkHookParts {
  readonly config: KindredConfig;
  readonly admission: Admission;
  readonly shedder: LoadShedder;
  readonly metrics: KindredMetrics;
  readonly tracing: Tracing;
  readonly draining: () => boolean;
  /** Every route registered from now on is added here. */
  readonly routes: GatewayRoute[];
}

export function registerFrameworkHooks(app: FastifyInstance, parts: FrameworkHookParts): void {
  const { config, admission, shedder, metrics, tracing, draining, routes } = parts;
  const handlerTimeout = config.overload.handlerTimeoutMs;
  const tracingOn = tracing.enabled;

  app.decorateRequest('kindredPool', -1);
  app.decorateRequest('kindredService', -1);
  app.decorateRequest('kindredBulkWorking', false);
  app.decorateRequest('kindredRoute', null);
  app.decorateRequest('kindredCaller', null);
  app.decorateRequest('kindredSpan', null);

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
      const countEvents = (
        _request: FastifyRequest,
        _reply: FastifyReply,
        payload: unknown,
        done: (error: Error | null, payload?: unknown) => void,
      ): void => {
        countEventResults(metrics, payload);
        done(null, payload);
      };
      routeOptions.preSerialization = appendHook(routeOptions.preSerialization, countEvents);
    }
  });

  /** Applies admission's decision: headers, then either the refusal or the next hook. */
  const apply = (
    request: FastifyRequest,
    reply: FastifyReply,
    route: RouteState,
    result: AdmissionResult,
    done: HookHandlerDoneFunction,
  ): void => {
    request.kindredPool = result.pool;
    request.kindredCaller = result.caller;
    // Requests turned away before any work (draining, shed) get no span.
    if (tracingOn && (result.pool >= 0 || route.pool === EXEMPT)) startSpan(request, reply, route);
    if (result.caller !== null)
      request.kindredSpan?.setAttribute('kindred.api_key_id', result.caller.id);
    const headers = result.headers;
    for (let i = 0; i < headers.length; i += 2) reply.header(headers[i] as string, headers[i + 1]);
    if (result.status === 0) return done();
    void reply.code(result.status).header('content-type', JSON_TYPE).send(result.body);
  };

  const startSpan = (request: FastifyRequest, reply: FastifyReply, route: RouteState): void => {
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
  };

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
      const decided = admission.admit(route, request.headers, request.raw.socket);
      if (decided instanceof Promise)
        decided.then(
          (result) => apply(request, reply, route, result, done),
          (error: unknown) => done(error as Error),
        );
      else apply(request, reply, route, decided, done);
    },
  );

  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.kindredPool >= 0) request.kindredService = reply.elapsedTime;
    if (request.kindredBulkWorking) {
      request.kindredBulkWorking = false;
      shedder.bulkEnded();
    }
    if (draining()) reply.header('connection', 'close');
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
