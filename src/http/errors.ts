import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KindredError } from '../errors/catalog.js';
import { catalogErrorOf } from '../errors/core-errors.js';
import { validationError } from '../contracts/validation.js';

/** Maps the engine's and the framework's errors (parser, limits, schema) onto the catalog; nothing leaks raw. */
export function toKindredError(error: FastifyError | Error): KindredError {
  const known = catalogErrorOf(error);
  if (known !== undefined) return known;
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError.validation) {
    return validationError(
      fastifyError.validation as Parameters<typeof validationError>[0],
      fastifyError.validationContext ?? 'request',
    );
  }
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return new KindredError('INVALID_REQUEST', 'the URL has an invalid percent-encoding', {
        path: 'url',
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new KindredError('INVALID_REQUEST', 'a path parameter is longer than allowed', {
        path: 'url',
      });
    case 'FST_ERR_HANDLER_TIMEOUT':
      return new KindredError(
        'REQUEST_TIMEOUT',
        'the request did not finish in time; a write may still be applied, so retry with the same ids',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KindredError('INVALID_JSON', `the body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KindredError(
        'PAYLOAD_TOO_LARGE',
        'the request body is larger than the configured limit',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new KindredError(
        fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : 'INVALID_REQUEST',
        error.message,
      );
  }
  // Fastify's JSON parser reports syntax errors and prototype poisoning as plain 400s.
  if (error instanceof SyntaxError || fastifyError.statusCode === 400)
    return new KindredError('INVALID_JSON', `the body is not valid JSON: ${error.message}`);
  if (fastifyError.statusCode === 413)
    return new KindredError(
      'PAYLOAD_TOO_LARGE',
      'the request body is larger than the configured limit',
    );
  if (fastifyError.statusCode === 415)
    return new KindredError('UNSUPPORTED_MEDIA_TYPE', error.message);
  if (
    fastifyError.statusCode !== undefined &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  )
    return new KindredError('INVALID_REQUEST', error.message);
  return new KindredError('INTERNAL', 'internal error');
}

export function sendError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const kindredError = toKindredError(error);
  if (kindredError.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: kindredError.code }, kindredError.message);
  void reply.status(kindredError.status).send(kindredError.toBody());
}
