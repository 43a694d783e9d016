import { RuleError } from '../core/rules/rule-error.js';
import { KindredError } from './catalog.js';

/**
 * The catalog's error for one raised inside the engine: a KindredError as it is, an error
 * of the core (which knows no HTTP statuses) as its catalog entry. Undefined for anything
 * else, which is a fault.
 */
export function catalogErrorOf(error: unknown): KindredError | undefined {
  if (error instanceof KindredError) return error;
  if (error instanceof RuleError)
    return new KindredError('INVALID_RULE', error.message, error.details);
  return undefined;
}
