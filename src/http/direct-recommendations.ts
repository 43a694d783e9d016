import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type {
  RecommendParams,
  RecommendationAnswer,
  RecommendationService,
} from '../app/serving/recommendation-service.js';
import { NO_TRACE } from '../observability/tracing.js';
import { DELEGATE, type DirectAdmission, type DirectGate } from '../gateway/gateway.js';
import { toKindredError } from './errors.js';
import {
  DIVERSITY_PATTERN,
  READ_POLICY,
  type RawParams,
  paramsOf,
} from './routes/recommendations.js';
import type { HttpContext } from './context.js';
import type { Gateway } from '../gateway/gateway.js';

const PREFIX = '/v1/users/';
const SUFFIX = '/recommendations';
export const DIRECT_ROUTE = '/v1/users/:id/recommendations';
const SCENARIO = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DIVERSITY = new RegExp(DIVERSITY_PATTERN);
const K_TEXT = /^[0-9]{1,5}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F]/;
const MAX_ID = 256;
const MAX_RULE = 4096;
const MAX_EXCLUDE = 65_536;

/** Answers a request on node:http, or returns false for the framework to take it. */
export type DirectHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * `GET /v1/users/{id}/recommendations`, the read a product calls on every page view,
 * answered on node:http directly: the framework's routing, hooks, query validation and
 * serializer cost as much as the recommendation itself. It answers the plain case alone,
 * through the same gateway checks and the same service, with the same body as the
 * framework route, and admitted or refused by the gateway's one admission path (keys,
 * scopes, origins, rate limits, shedding, draining) as any route is. A request it does not
 * fully understand (an unknown or repeated parameter, a value the route's schema would
 * refuse), and every request while tracing is on, is handed to the framework route
 * unchanged, which answers it, errors included.
 */
export function directRecommendations(
  context: HttpContext,
  gateway: Gateway,
  logger: Logger,
): DirectHandler {
  const { defaultK, maxK } = context.config.recommend;
  const gate: DirectGate = gateway.direct('GET', DIRECT_ROUTE, READ_POLICY.policy);
  return (req, res) => {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PREFIX)) return false;
    const service = context.models?.recommendations;
    if (service === undefined) return false;
    const queryAt = url.indexOf('?');
    const pathEnd = queryAt < 0 ? url.length : queryAt;
    const idEnd = pathEnd - SUFFIX.length;
    if (idEnd <= PREFIX.length || !url.startsWith(SUFFIX, idEnd)) return false;
    const userId = decoded(url.slice(PREFIX.length, idEnd), false);
    if (
      userId === undefined ||
      userId.length === 0 ||
      userId.length > MAX_ID ||
      userId.includes('/') ||
      CONTROL.test(userId)
    )
      return false;
    const raw = queryAt < 0 ? {} : parseQuery(url.slice(queryAt + 1), maxK);
    if (raw === undefined) return false;

    const admitted = gate.admit(req);
    if (admitted === DELEGATE) return false;
    // A GET's (empty) body, consumed now: node:http would otherwise do it after the answer,
    // through more of its stream machinery.
    req.resume();
    // No closure on the usual (synchronous) path: this runs for every page view.
    if (admitted instanceof Promise)
      admitted.then(
        (admission) => answerRequest(admission, res, service, userId, raw),
        (error: unknown) => {
          logger.error({ err: error }, 'admission failed');
          res.destroy();
        },
      );
    else answerRequest(admitted, res, service, userId, raw);
    return true;
  };

  /** A refusal as admission wrote it, or the route's answer (errors with catalog bodies). */
  function answerRequest(
    admission: DirectAdmission,
    res: ServerResponse,
    service: RecommendationService,
    userId: string,
    raw: RawParams,
  ): void {
    if (admission.status !== 0) {
      gate.answer(res, admission, admission.status, admission.body);
      return;
    }
    let status = 200;
    let body: string;
    try {
      const params: RecommendParams = paramsOf(raw, defaultK);
      body = answerJson(service.forUser(userId, params, NO_TRACE));
    } catch (error) {
      const kindredError = toKindredError(error as Error);
      status = kindredError.status;
      if (status >= 500) logger.error({ err: error, reqId: admission.requestId }, 'request failed');
      body = JSON.stringify(kindredError.toBody());
    }
    gate.answer(res, admission, status, body);
  }
}

/** A query string as the route's parameters, or undefined when the framework must judge it. */
function parseQuery(query: string, maxK: number): RawParams | undefined {
  // Every field present from the start: one object shape whatever the query holds.
  const raw: RawParams = {
    k: undefined,
    offset: undefined,
    scenario: undefined,
    filter: undefined,
    boost: undefined,
    exclude: undefined,
    diversity: undefined,
    explain: undefined,
    recommendationId: undefined,
  };
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (end > start) {
      const equals = query.indexOf('=', start);
      const hasValue = equals >= 0 && equals < end;
      const key = query.slice(start, hasValue ? equals : end);
      const value = decoded(hasValue ? query.slice(equals + 1, end) : '', true);
      if (value === undefined || !take(raw, key, value, maxK)) return undefined;
    }
    start = end + 1;
  }
  return raw;
}

/**
 * Sets one parameter; false for anything the route's schema would not take as is (unknown
 * and repeated parameters are the framework's to judge). Each name is matched and stored
 * as a literal: a property read or write keyed by a freshly sliced string looks the string
 * up in the engine's string table every time.
 */
function take(raw: RawParams, key: string, value: string, maxK: number): boolean {
  switch (key) {
    case 'k': {
      if (raw.k !== undefined) return false;
      const number = numberText(value);
      if (number < 1 || number > maxK) return false;
      raw.k = number;
      return true;
    }
    case 'offset': {
      if (raw.offset !== undefined) return false;
      const number = numberText(value);
      if (number < 0 || number > 10_000) return false;
      raw.offset = number;
      return true;
    }
    case 'explain':
      // Explanations go through the framework's serializer.
      if (raw.explain !== undefined || value !== 'false') return false;
      raw.explain = false;
      return true;
    case 'scenario':
      if (raw.scenario !== undefined || !SCENARIO.test(value)) return false;
      raw.scenario = value;
      return true;
    case 'filter':
      if (raw.filter !== undefined || value.length > MAX_RULE) return false;
      raw.filter = value;
      return true;
    case 'boost':
      if (raw.boost !== undefined || value.length > MAX_RULE) return false;
      raw.boost = value;
      return true;
    case 'exclude':
      if (raw.exclude !== undefined || value.length > MAX_EXCLUDE) return false;
      raw.exclude = value;
      return true;
    case 'diversity':
      if (raw.diversity !== undefined || !DIVERSITY.test(value)) return false;
      raw.diversity = value;
      return true;
    case 'recommendationId':
      if (raw.recommendationId !== undefined || value.length < 1 || value.length > 64) return false;
      raw.recommendationId = value;
      return true;
    default:
      return false;
  }
}

/** The value of 1 to 5 decimal digits, or -1. */
function numberText(value: string): number {
  return K_TEXT.test(value) ? Number(value) : -1;
}

/** A query or path component decoded like the framework does ('+' is a space in queries). */
function decoded(text: string, query: boolean): string | undefined {
  const plus = query && text.includes('+');
  if (!plus && !text.includes('%')) return text;
  try {
    return decodeURIComponent(plus ? text.replaceAll('+', ' ') : text);
  } catch {
    return undefined;
  }
}

/** The answer's JSON, with the framework route's response schema's fields and order. */
function answerJson(answer: RecommendationAnswer): string {
  let items = '';
  for (let i = 0; i < answer.items.length; i++) {
    const item = answer.items[i]!;
    items += `${i === 0 ? '' : ','}{"id":${JSON.stringify(item.id)},"score":${numberJson(item.score)}}`;
  }
  let json = `{"recommendationId":${JSON.stringify(answer.recommendationId)},"items":[${items}],"scenario":${JSON.stringify(answer.scenario)},"model":${answer.model === null ? 'null' : JSON.stringify(answer.model)},"scorer":"${answer.scorer}"`;
  if (answer.degraded === true) json += ',"degraded":true';
  if (answer.reasons !== undefined) json += `,"reasons":${JSON.stringify(answer.reasons)}`;
  return json + '}';
}

function numberJson(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
