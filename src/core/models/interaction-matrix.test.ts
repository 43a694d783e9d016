import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildInteractionMatrix,
  mapValues,
  rowIndices,
  rowValues,
  splitBySign,
  transpose,
} from './interaction-matrix.js';

const events = {
  users: [1, 0, 1, 0, 1, 2],
  items: [2, 1, 0, 1, 2, 0],
  weights: [1, 2, 4, 8, -5, -1],
  timestamps: [100, 50, 70, 60, 200, 10],
};

test('duplicates merge: weights add up and the latest time is kept', () => {
  const matrix = buildInteractionMatrix(events);
  assert.equal(matrix.rows, 3);
  assert.equal(matrix.cols, 3);
  assert.deepEqual([...matrix.rowPtr], [0, 1, 3, 4]);
  assert.deepEqual([...matrix.colIdx], [1, 0, 2, 0]);
  assert.deepEqual([...matrix.values], [10, 4, -4, -1]);
  assert.deepEqual([...matrix.timestamps!], [60, 70, 200, 10]);
  assert.deepEqual([...rowIndices(matrix, 1)], [0, 2]);
  assert.deepEqual([...rowValues(matrix, 1)], [4, -4]);
});

test('explicit sizes keep trailing empty rows and columns; bad indexes throw', () => {
  const matrix = buildInteractionMatrix(events, { users: 5, items: 4 });
  assert.equal(matrix.rows, 5);
  assert.equal(matrix.cols, 4);
  assert.equal(matrix.rowPtr[5], 4);
  assert.throws(() =>
    buildInteractionMatrix({ users: [0, 3], items: [0, 0], weights: [1, 1] }, { users: 2 }),
  );
  assert.throws(() => buildInteractionMatrix({ users: [0.5], items: [0], weights: [1] }));
});

test('transpose swaps rows and columns and keeps rows sorted', () => {
  const matrix = buildInteractionMatrix(events);
  const byItem = transpose(matrix);
  assert.deepEqual([...byItem.rowPtr], [0, 2, 3, 4]);
  assert.deepEqual([...byItem.colIdx], [1, 2, 0, 1]);
  assert.deepEqual([...byItem.values], [4, -1, 10, -4]);
  assert.deepEqual([...byItem.timestamps!], [70, 10, 60, 200]);
  assert.deepEqual(transpose(byItem), matrix);
});

test('recency weighting halves a weight every half-life before merging', () => {
  const matrix = buildInteractionMatrix(
    { users: [0, 0, 0], items: [0, 0, 1], weights: [4, 4, 2], timestamps: [0, 10, 20] },
    { recencyHalfLife: 10, referenceTime: 20 },
  );
  assert.deepEqual([...matrix.values], [1 + 2, 2]);
  assert.throws(() =>
    buildInteractionMatrix({ users: [0], items: [0], weights: [1] }, { recencyHalfLife: 1 }),
  );
});

test('negative entries split off as exclusions with absolute weights', () => {
  const { positives, negatives } = splitBySign(buildInteractionMatrix(events));
  assert.deepEqual([...positives.rowPtr], [0, 1, 2, 2]);
  assert.deepEqual([...positives.colIdx], [1, 0]);
  assert.deepEqual([...negatives.rowPtr], [0, 0, 1, 2]);
  assert.deepEqual([...negatives.colIdx], [2, 0]);
  assert.deepEqual([...negatives.values], [4, 1]);
  assert.deepEqual(
    [...mapValues(positives, (value) => Math.log1p(value)).values].map((v) => v.toFixed(3)),
    [Math.log1p(10).toFixed(3), Math.log1p(4).toFixed(3)],
  );
});
