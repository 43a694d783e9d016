// The bodies of the gateway's own refusals, made once: they are sent under overload.
import { KindredError, type ErrorCode } from '../errors/catalog.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

export function errorBody(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): string {
  return JSON.stringify(new KindredError(code, message, details).toBody());
}

export const OVERLOADED_BODY = errorBody(
  'OVERLOADED',
  'the engine is shedding load to keep serving the rest quickly; retry after Retry-After seconds',
);
export const POOL_FULL_BODY = errorBody(
  'OVERLOADED',
  'too many requests of this kind are in flight; retry after Retry-After seconds',
);
export const DRAINING_BODY = errorBody(
  'NOT_READY',
  'the engine is shutting down; retry on another node',
);
export const MISSING_KEY_BODY = errorBody(
  'UNAUTHORIZED',
  'this route needs an API key: send Authorization: Bearer KEY or x-api-key: KEY',
  { reason: 'missing' },
);
export const BAD_KEY_BODIES: Readonly<Record<string, string>> = {
  invalid: errorBody('UNAUTHORIZED', 'the API key is not valid', { reason: 'invalid' }),
  expired: errorBody('UNAUTHORIZED', 'the API key has expired', { reason: 'expired' }),
  revoked: errorBody('UNAUTHORIZED', 'the API key has been revoked', { reason: 'revoked' }),
};
export const ORIGIN_BODY = errorBody(
  'ORIGIN_NOT_ALLOWED',
  'this origin may not use this key (see the key origins and cors.origins)',
);
