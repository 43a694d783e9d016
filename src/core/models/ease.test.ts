import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractionMatrix } from './interaction-matrix.js';
import { fitEase, scoreEase } from './ease.js';
import { assertClose } from '../../../test/support/model-fixtures.js';

function matrixOf(rows: number[][]) {
  const users: number[] = [];
  const items: number[] = [];
  rows.forEach((row, user) =>
    row.forEach((value, item) => {
      if (value !== 0) {
        users.push(user);
        items.push(item);
      }
    }),
  );
  return buildInteractionMatrix(
    { users, items, weights: users.map(() => 1) },
    { items: rows[0]!.length },
  );
}

/** Row i of B, read through scoring a history of just item i. */
function rowOfB(model: ReturnType<typeof fitEase>, item: number): number[] {
  return [...scoreEase(model, [item])];
}

test('more users than items: B matches the closed form computed by hand', () => {
  // XᵀX + I = [[4,2,1],[2,4,2],[1,2,3]], whose inverse is [[8,-4,0],[-4,11,-6],[0,-6,12]] / 24.
  const model = fitEase(
    matrixOf([
      [1, 1, 0],
      [0, 1, 1],
      [1, 1, 1],
      [1, 0, 0],
    ]),
    { lambda: 1 },
  );
  const expected = [
    [0, 4 / 11, 0],
    [1 / 2, 0, 1 / 2],
    [0, 6 / 11, 0],
  ];
  expected.forEach((row, i) =>
    row.forEach((value, j) => assertClose(rowOfB(model, i)[j]!, value, 1e-6, `B${i}${j}`)),
  );
});

test('fewer users than items: the Woodbury path gives the same closed form', () => {
  // XᵀX + I = [[2,1,0],[1,3,1],[0,1,2]], inverse [[5,-2,1],[-2,4,-2],[1,-2,5]] / 8.
  const model = fitEase(
    matrixOf([
      [1, 1, 0],
      [0, 1, 1],
    ]),
    { lambda: 1 },
  );
  const expected = [
    [0, 1 / 2, -1 / 5],
    [2 / 5, 0, 2 / 5],
    [-1 / 5, 1 / 2, 0],
  ];
  expected.forEach((row, i) =>
    row.forEach((value, j) => assertClose(rowOfB(model, i)[j]!, value, 1e-6, `B${i}${j}`)),
  );
});

test('only the most popular items are modelled; the rest score -Infinity', () => {
  const model = fitEase(
    matrixOf([
      [1, 1, 0, 1],
      [0, 1, 1, 0],
      [1, 1, 0, 0],
    ]),
    { lambda: 1, maxItems: 2 },
  );
  assert.deepEqual([...model.modelItems], [1, 0]);
  const scores = scoreEase(model, [0]);
  assert.equal(scores[2], Number.NEGATIVE_INFINITY);
  assert.equal(scores[3], Number.NEGATIVE_INFINITY);
  assert.ok(scores[1]! > 0);
});
