// The gateway for a route answered on node:http directly, outside the framework (the hot
// read, see `http/direct-recommendations.ts`): the same admission path as every other
// route, the same headers, pool slots and metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KindredMetrics } from '../observability/metrics.js';
import type { Admission, AdmissionResult } from './admission.js';
import type { KindredConfig } from '../config/settings.js';
import { SAFE_REQUEST_ID, SECURITY_HEADERS } from './http-headers.js';
import type { LoadShedder } from './load-shedder.js';
import { JSON_TYPE } from './refusals.js';
import type { RoutePolicy } from './route-policy.js';
import { routeStateFor } from './route-states.js';

/** A request admission has decided on: what its answer needs. */
export interface DirectAdmission {
  /** 0: admitted, the route answers; otherwise the refusal to send (`body`). */
  readonly status: number;
  readonly body: string;
  /** The pool slot it holds (-1: none). */
  readonly pool: number;
  readonly requestId: string;
  /**
   * The answer's headers but its request id and length, as `writeHead` takes them flat:
   * name, value, name, value... (node:http walks an array faster than an object's keys).
   */
  readonly headers: readonly (string | number)[];
  /** The request's connection (the load shedder notes when it was answered). */
  readonly connection: object;
  readonly startedMs: number;
}

/** `DirectGate.admit`: the framework route must take this request (tracing is on). */
export const DELEGATE = 0;

export interface DirectGate {
  /**
   * Admits or refuses, as for any route; a promise when the rate limiter answers with
   * one. `DELEGATE` while tracing is on: spans are made by the framework's hooks.
   */
  admit(req: IncomingMessage): DirectAdmission | Promise<DirectAdmission> | typeof DELEGATE;
  /** Writes the answer (a refusal, or the route's), gives the slot back, observes it. */
  answer(res: ServerResponse, admission: DirectAdmission, status: number, body: string): void;
}

export interface DirectGateParts {
  readonly config: KindredConfig;
  readonly admission: Admission;
  readonly shedder: LoadShedder;
  readonly metrics: KindredMetrics;
  readonly tracingOn: boolean;
}

const PLAIN_HEADERS: readonly (string | number)[] = Object.entries({
  ...SECURITY_HEADERS,
  'content-type': JSON_TYPE,
}).flat();

let directIds = 0;

export function directGate(
  method: string,
  url: string,
  policy: RoutePolicy,
  parts: DirectGateParts,
): DirectGate {
  const { admission, shedder, metrics, tracingOn } = parts;
  const route = routeStateFor(method, url, parts.config, policy);
  const durationOf = (status: number): { observe(value: number): void } => {
    let child = route.durations.get(status);
    if (child === undefined) {
      child = metrics.durationChild(method, url, status);
      route.durations.set(status, child);
    }
    return child;
  };
  const toAdmission = (
    result: AdmissionResult,
    requestId: string,
    connection: object,
    startedMs: number,
  ): DirectAdmission => ({
    status: result.status,
    body: result.body,
    pool: result.pool,
    requestId,
    headers: result.headers.length === 0 ? PLAIN_HEADERS : [...PLAIN_HEADERS, ...result.headers],
    connection,
    startedMs,
  });
  return {
    admit(req) {
      if (tracingOn) return DELEGATE;
      const startedMs = performance.now();
      const header = req.headers['x-request-id'];
      const requestId =
        typeof header === 'string' && SAFE_REQUEST_ID.test(header)
          ? header
          : `req-d${(directIds++).toString(36)}`;
      const connection = req.socket;
      const decided = admission.admit(route, req.headers, connection);
      if (decided instanceof Promise)
        return decided.then((result) => toAdmission(result, requestId, connection, startedMs));
      return toAdmission(decided, requestId, connection, startedMs);
    },
    answer(res, admitted, status, body) {
      res.writeHead(status, [
        ...admitted.headers,
        'x-request-id',
        admitted.requestId,
        'content-length',
        Buffer.byteLength(body),
      ]);
      res.end(body);
      const elapsedMs = performance.now() - admitted.startedMs;
      shedder.answered(admitted.connection);
      if (admitted.pool >= 0) shedder.complete(admitted.pool, elapsedMs);
      durationOf(status).observe(elapsedMs / 1000);
    },
  };
}
