import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { KindredError } from '../errors/catalog.js';

/**
 * Strict validation: no type coercion, no silent removal of unknown fields. A client
 * sending `"5"` for a number or a misspelt field name must hear about it.
 */
export const strictAjv = new Ajv({
  allErrors: false,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
  unicodeRegExp: true,
});

/** Query strings and path parameters are text on the wire: coerce them. */
export const coercingAjv = new Ajv({
  allErrors: false,
  coerceTypes: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  unicodeRegExp: true,
});

const cache = new WeakMap<object, ValidateFunction>();

export function compileStrict(schema: TSchema): ValidateFunction {
  const cached = cache.get(schema);
  if (cached) return cached;
  const validate = strictAjv.compile(schema);
  cache.set(schema, validate);
  return validate;
}

/** Turns ajv's first error into a catalog error that says where and what. */
export function validationError(
  errors: readonly ErrorObject[] | null | undefined,
  where: string,
): KindredError {
  const first = errors?.[0];
  if (!first) return new KindredError('INVALID_REQUEST', `${where} is invalid`);
  const path = `${where}${first.instancePath.replaceAll('/', '.')}`;
  if (first.keyword === 'additionalProperties') {
    const field = (first.params as { additionalProperty?: string }).additionalProperty ?? '?';
    return new KindredError('UNKNOWN_FIELD', `${path} has an unknown field "${field}"`, {
      path,
      field,
    });
  }
  if (first.keyword === 'required') {
    const field = (first.params as { missingProperty?: string }).missingProperty ?? '?';
    return new KindredError('INVALID_REQUEST', `${path} is missing the required field "${field}"`, {
      path,
      field,
      rule: 'required',
    });
  }
  return new KindredError('INVALID_REQUEST', `${path} ${first.message ?? 'is invalid'}`, {
    path,
    rule: first.keyword,
    ...first.params,
  });
}

export function validateAgainst<T>(schema: TSchema, value: unknown, where: string): T {
  const validate = compileStrict(schema);
  if (!validate(value)) throw validationError(validate.errors, where);
  return value as T;
}
