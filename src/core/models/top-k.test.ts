import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IndexMask, topK, topKAmong } from './top-k.js';
import { createRandom } from './random.js';

test('topK matches a full sort, best first', () => {
  const random = createRandom(5);
  const scores = Float32Array.from({ length: 1000 }, () => random.next());
  const expected = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!).slice(0, 25);
  const ranked = topK(scores, 25);
  assert.deepEqual([...ranked.indices], expected);
  assert.deepEqual(
    [...ranked.scores],
    expected.map((index) => scores[index]!),
  );
});

test('excluded indexes, NaN and -Infinity are skipped', () => {
  const scores = Float32Array.from([5, Number.NaN, 9, Number.NEGATIVE_INFINITY, 7, 1]);
  const ranked = topK(scores, 10, new IndexMask(scores.length, [2]));
  assert.deepEqual([...ranked.indices], [4, 0, 5]);
});

test('ties go to the smaller index, and k beyond the length returns everything', () => {
  const ranked = topK(Float64Array.from([1, 3, 3, 1, 3]), 4);
  assert.deepEqual([...ranked.indices], [1, 2, 4, 0]);
  assert.equal(topK(Float32Array.from([1, 2]), 5).indices.length, 2);
  assert.equal(topK(Float32Array.from([1, 2]), 0).indices.length, 0);
});

test('topKAmong only considers the listed candidates', () => {
  const scores = Float32Array.from([10, 1, 2, 30, 4]);
  const ranked = topKAmong(scores, Int32Array.from([1, 2, 4, 3]), 3, 2, new Set([4]));
  assert.deepEqual([...ranked.indices], [2, 1]);
});
