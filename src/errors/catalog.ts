/**
 * The one catalog of errors Kindred reports. Codes are stable API: clients match on
 * them, so a code is never renamed or reused. `docs/errors.md` is generated from this.
 */
export const ERROR_CATALOG = {
  INVALID_JSON: { status: 400, doc: 'The request body is not valid JSON.' },
  INVALID_REQUEST: {
    status: 400,
    doc: 'The request does not match its schema: a wrong type, a missing field, a value out of range.',
  },
  UNKNOWN_FIELD: { status: 400, doc: 'The request has a field that the schema does not define.' },
  INVALID_TIMESTAMP: {
    status: 400,
    doc: 'A timestamp is neither unix seconds nor ISO-8601, or lies outside 1970 .. now + 1 day.',
  },
  INVALID_CURSOR: { status: 400, doc: 'The pagination cursor was not issued by this engine.' },
  UNKNOWN_INTERACTION_TYPE: {
    status: 400,
    doc: 'The interaction type is not one of the configured types.',
  },
  BATCH_TOO_LARGE: { status: 400, doc: 'A batch holds more rows than the limit allows.' },
  BATCH_HAS_INVALID_ROWS: {
    status: 400,
    doc: 'Some rows of a batch are invalid; nothing of the batch was written. `details.rows` lists each bad row.',
  },
  UNKNOWN_USER: {
    status: 422,
    doc: 'The event names a user that does not exist and the engine is set to reject such events.',
  },
  UNKNOWN_ITEM: {
    status: 422,
    doc: 'The event names an item that does not exist and the engine is set to reject such events.',
  },
  ID_MISMATCH: { status: 400, doc: 'The id in the body differs from the id in the path.' },
  INVALID_RULE: {
    status: 400,
    doc: 'A filter or boost rule has a syntax or type error, or exceeds the length or nesting limit. `details` gives `position` (0-based), `line`, `column`, `length`, `expected`, `found` and the `source`; see [rules.md](rules.md).',
  },
  ITEM_NOT_FOUND: { status: 404, doc: 'No item has this id.' },
  SCENARIO_NOT_FOUND: { status: 404, doc: 'No serving scenario has this name.' },
  RECOMMENDATION_NOT_FOUND: {
    status: 404,
    doc: 'The `recommendationId` to page on is unknown, expired (`serving.servedListTtlSeconds`) or was served to someone else.',
  },
  USER_NOT_FOUND: { status: 404, doc: 'No user has this id.' },
  ROUTE_NOT_FOUND: { status: 404, doc: 'No route matches this method and path.' },
  PAYLOAD_TOO_LARGE: { status: 413, doc: 'The request body exceeds the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'The body must be sent as application/json.' },
  NOT_READY: { status: 503, doc: 'The engine is starting or stopping and cannot serve this yet.' },
  UNAUTHORIZED: {
    status: 401,
    doc: 'No API key, or one that is unknown, revoked or expired. Send it as `Authorization: Bearer KEY` or `x-api-key: KEY`; `details.reason` says which.',
  },
  FORBIDDEN: {
    status: 403,
    doc: 'The API key is valid but lacks the scope this route requires (`details.required`).',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    doc: 'The browser origin is not among the origins allowed for this key or by `cors.origins`.',
  },
  KEY_NOT_FOUND: { status: 404, doc: 'No API key has this id.' },
  RATE_LIMITED: {
    status: 429,
    doc: 'Too many requests for this key or client address. Wait `Retry-After` seconds; `RateLimit-*` headers show the budget.',
  },
  OVERLOADED: {
    status: 503,
    doc: 'The engine is shedding load to keep serving the rest quickly. Retry after `Retry-After` seconds, with backoff.',
  },
  TOO_MANY_STREAMS: {
    status: 503,
    doc: 'As many live recommendation streams are open as `serving.streamMaxConnections` allows; retry later.',
  },
  REQUEST_TIMEOUT: {
    status: 503,
    doc: 'The request did not finish within `overload.handlerTimeoutMs`. A write may still have been applied: retry with the same event ids, which are idempotent.',
  },
  MODEL_NOT_FOUND: { status: 404, doc: 'No model version has this id.' },
  NO_MODEL_TRAINED: {
    status: 409,
    doc: 'No model has been trained yet, or none to roll back to: train one with `POST /v1/models/train` or `kindred train`.',
  },
  TRAINING_IN_PROGRESS: {
    status: 409,
    doc: 'A training is already running; `GET /v1/models` shows it. Try again when it has finished.',
  },
  NOT_ENOUGH_DATA: {
    status: 422,
    doc: 'Too few interactions to train (`training.minInteractions`); recommendations stay trending until then.',
  },
  TRAINING_FAILED: {
    status: 500,
    doc: 'Training failed; the model that was serving keeps serving. The log has the cause.',
  },
  UNKNOWN_FACET: {
    status: 400,
    doc: 'A search asks for a facet that is not `categories`, `tags` or one of `search.facetAttributes`.',
  },
  NOT_SORTABLE: {
    status: 400,
    doc: 'A search sorts by an attribute not listed in `search.sortableAttributes`, or the sort is not `attribute:asc` or `attribute:desc`.',
  },
  SEMANTIC_SEARCH_UNAVAILABLE: {
    status: 409,
    doc: 'Reserved (no longer returned): early versions answered it to `semantic=true`, which now fuses the text matches with their learned and content neighbours.',
  },
  INTERNAL: {
    status: 500,
    doc: 'An unexpected fault inside the engine. It is logged with the request id; please report it.',
  },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class KindredError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'KindredError';
    this.status = ERROR_CATALOG[code].status;
  }

  toBody(): { error: { code: ErrorCode; message: string; details: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isKindredError(value: unknown): value is KindredError {
  return value instanceof KindredError;
}
