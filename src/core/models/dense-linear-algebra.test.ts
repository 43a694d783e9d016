import { test } from 'node:test';
import { choleskyInPlace, invertSpdInPlace, solveSpd } from './dense-linear-algebra.js';
import { assertClose } from '../../../test/support/model-fixtures.js';
import { createRandom } from './random.js';
import assert from 'node:assert/strict';

function randomSpd(n: number, seed: number): Float64Array {
  const random = createRandom(seed);
  const base = Float64Array.from({ length: n * n }, () => random.next() - 0.5);
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = i === j ? 0.5 : 0;
      for (let p = 0; p < n; p++) sum += base[i * n + p]! * base[j * n + p]!;
      matrix[i * n + j] = sum;
    }
  }
  return matrix;
}

test('the inverse times the matrix is the identity', () => {
  const n = 23;
  const matrix = randomSpd(n, 1);
  const inverse = Float64Array.from(matrix);
  invertSpdInPlace(inverse, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < n; p++) sum += matrix[i * n + p]! * inverse[p * n + j]!;
      assertClose(sum, i === j ? 1 : 0, 1e-9, `(${i},${j})`);
    }
  }
});

test('solveSpd solves a hand-checked system and rejects indefinite matrices', () => {
  const solution = solveSpd(Float64Array.from([4, 2, 2, 3]), 2, [2, 1]);
  assertClose(solution[0]!, 0.5, 1e-12);
  assertClose(solution[1]!, 0, 1e-12);
  assert.throws(() => choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2), /positive definite/);
});
