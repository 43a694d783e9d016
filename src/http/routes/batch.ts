import type { TSchema } from '@sinclair/typebox';
import { compileStrict, validationError } from '../../contracts/validation.js';
import { KindredError } from '../../errors/catalog.js';
import { batchError, rowError, type RowError } from '../../app/write-service.js';

/**
 * Validates each row of a batch against its schema, so the answer lists every bad row
 * (with its index) instead of only the first problem found.
 */
export function validateRows<T>(
  rows: unknown,
  schema: TSchema,
  key: string,
  maxBatch: number,
): { valid: T[]; validIndexes: number[]; errors: RowError[] } {
  if (!Array.isArray(rows))
    throw new KindredError('INVALID_REQUEST', `body.${key} must be an array`, {
      path: `body.${key}`,
    });
  if (rows.length > maxBatch)
    throw new KindredError('BATCH_TOO_LARGE', `a batch may hold at most ${maxBatch} rows`, {
      limit: maxBatch,
      received: rows.length,
    });
  const validate = compileStrict(schema);
  const valid: T[] = [];
  const validIndexes: number[] = [];
  const errors: RowError[] = [];
  rows.forEach((row: unknown, index) => {
    if (validate(row)) {
      valid.push(row as T);
      validIndexes.push(index);
    } else errors.push(rowError(index, validationError(validate.errors, `${key}[${index}]`)));
  });
  return { valid, validIndexes, errors };
}

export function requireNoRowErrors(errors: readonly RowError[], total: number): void {
  if (errors.length > 0) throw batchError(errors, total);
}
