import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractionMatrix } from './interaction-matrix.js';
import { latestScores, popularityScores, trendingScores } from './popularity.js';
import { topK } from './top-k.js';

const events = {
  users: [0, 1, 2, 0, 1, 2],
  items: [0, 0, 0, 1, 1, 2],
  weights: [1, 1, 1, 8, -2, 4],
  timestamps: [0, 0, 0, 90, 100, 100],
};

test('most popular sums signed weights per item', () => {
  const scores = popularityScores(buildInteractionMatrix(events));
  assert.deepEqual([...scores], [3, 6, 4]);
  assert.deepEqual([...topK(scores, 3).indices], [1, 2, 0]);
});

test('trending decays each event by its age relative to the reference time', () => {
  const scores = trendingScores(events, 3, { halfLife: 10, referenceTime: 100 });
  assert.ok(Math.abs(scores[0]! - 3 * 2 ** -10) < 1e-6);
  assert.ok(Math.abs(scores[1]! - (8 * 0.5 - 2)) < 1e-6);
  assert.ok(Math.abs(scores[2]! - 4) < 1e-6);
  assert.deepEqual([...topK(scores, 3).indices], [2, 1, 0]);
});

test('latest ranks by publication time, else by first interaction', () => {
  const byFirstSeen = latestScores(4, undefined, events);
  assert.deepEqual([...byFirstSeen], [0, 90, 100, Number.NEGATIVE_INFINITY]);
  const published = latestScores(4, [5, Number.NaN, 1, 200], events);
  assert.deepEqual([...topK(published, 4).indices], [3, 1, 0, 2]);
});
