import type { RuleValue } from './types.js';

/** A value while a rule runs; `undefined` is a missing attribute (or a failed computation). */
export type Value = RuleValue | undefined;

/** Structural equality; a missing value equals nothing, not even another missing one. */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return a !== undefined;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i])) return false;
  return true;
}

export const lessThan = (a: Value, b: Value): boolean =>
  (typeof a === 'number' && typeof b === 'number') ||
  (typeof a === 'string' && typeof b === 'string')
    ? a < b
    : false;
export const lessOrEqual = (a: Value, b: Value): boolean =>
  (typeof a === 'number' && typeof b === 'number') ||
  (typeof a === 'string' && typeof b === 'string')
    ? a <= b
    : false;
export const greaterThan = (a: Value, b: Value): boolean => lessThan(b, a);
export const greaterOrEqual = (a: Value, b: Value): boolean => lessOrEqual(b, a);

/** An own property only: attribute maps come from JSON, and `constructor` is not an attribute. */
export function lookup(
  record: Readonly<Record<string, RuleValue>> | undefined,
  key: string,
): Value {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Scalar members of a list, for constant-time `in`; nested lists can equal no scalar. */
export function membershipSet(list: Value): ReadonlySet<RuleValue> | undefined {
  return Array.isArray(list) ? new Set<RuleValue>(list) : undefined;
}

export function isFactor(value: Value): value is number {
  return typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY;
}
