import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedEditDistance, typoBudget } from './edit-distance.js';

test('edits, including an adjacent transposition as one', () => {
  assert.equal(boundedEditDistance('story', 'story', 2), 0);
  assert.equal(boundedEditDistance('story', 'stroy', 2), 1);
  assert.equal(boundedEditDistance('story', 'stor', 2), 1);
  assert.equal(boundedEditDistance('story', 'xstory', 2), 1);
  assert.equal(boundedEditDistance('story', 'stary', 2), 1);
  assert.equal(boundedEditDistance('kitten', 'sitting', 3), 3);
});

test('stops at the bound', () => {
  assert.equal(boundedEditDistance('kitten', 'sitting', 2), 3);
  assert.equal(boundedEditDistance('a', 'abcdef', 2), 3);
});

test('the typo budget grows with word length', () => {
  assert.deepEqual([3, 4, 5, 8, 9, 15].map(typoBudget), [0, 0, 1, 1, 2, 2]);
});
