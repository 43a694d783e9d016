import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from '../core/rules/filter.js';
import { KindredError } from './catalog.js';
import { catalogErrorOf } from './core-errors.js';

test('a rule error of the core is answered as INVALID_RULE, 400, with its message and details', () => {
  let thrown: unknown;
  try {
    compileFilter('year >');
  } catch (error) {
    thrown = error;
  }
  const mapped = catalogErrorOf(thrown);
  assert.ok(mapped instanceof KindredError);
  assert.equal(mapped.code, 'INVALID_RULE');
  assert.equal(mapped.status, 400);
  assert.equal(mapped.message, (thrown as Error).message);
  assert.deepEqual(mapped.toBody().error.details, {
    position: 6,
    line: 1,
    column: 7,
    length: 0,
    expected: 'a value',
    found: 'end of input',
    source: 'year >',
  });
});

test('catalog errors pass as they are; other errors are faults', () => {
  const notFound = new KindredError('ITEM_NOT_FOUND', 'no item');
  assert.equal(catalogErrorOf(notFound), notFound);
  assert.equal(catalogErrorOf(new Error('boom')), undefined);
  assert.equal(catalogErrorOf('text'), undefined);
});
