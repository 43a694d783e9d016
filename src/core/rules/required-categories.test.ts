import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from './filter.js';
import { parseFilter } from './parser.js';
import { requiredCategories } from './required-categories.js';

const required = (source: string): string[] => requiredCategories(parseFilter(source));

test('a lone category clause is required, written either way', () => {
  assert.deepEqual(required('"Drama" in categories'), ['Drama']);
  assert.deepEqual(required('categories contains "Drama"'), ['Drama']);
  assert.deepEqual(required('("Drama" in categories)'), ['Drama']);
});

test('the category clauses of a top-level and chain, in order', () => {
  assert.deepEqual(required('"A" in categories and year >= 1990 and "B" in categories'), [
    'A',
    'B',
  ]);
  assert.deepEqual(required('categories contains "B" and price < 20 and "A" in categories'), [
    'B',
    'A',
  ]);
  // Nested and chains (parenthesized) count too: every item passing must satisfy them.
  assert.deepEqual(required('("A" in categories and price < 20) and "B" in categories'), [
    'A',
    'B',
  ]);
});

test('alternatives, negations and other lists require nothing', () => {
  assert.deepEqual(required('"A" in categories or "B" in categories'), []);
  assert.deepEqual(required('"A" in categories or year >= 1990'), []);
  assert.deepEqual(required('not ("A" in categories)'), []);
  assert.deepEqual(required('"A" not in categories'), []);
  assert.deepEqual(required('"A" in tags'), []);
  assert.deepEqual(required('tags contains "A"'), []);
  assert.deepEqual(required('"A" in attributes.categories'), []);
  assert.deepEqual(required('year >= 1990'), []);
  // An or inside an and chain contributes nothing; the and's own clauses still count.
  assert.deepEqual(required('("A" in categories or "B" in categories) and "C" in categories'), [
    'C',
  ]);
  assert.deepEqual(required('"A" not in categories and "B" in categories'), ['B']);
});

test('a category named twice is listed once', () => {
  assert.deepEqual(
    required('"A" in categories and categories contains "A" and "B" in categories'),
    ['A', 'B'],
  );
});

test('compiled filters carry their required categories', () => {
  assert.deepEqual(compileFilter('"Drama" in categories and price < 20').requiredCategories, [
    'Drama',
  ]);
  assert.deepEqual(compileFilter('"Drama" in categories or price < 20').requiredCategories, []);
});
