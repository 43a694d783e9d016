import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendScores, normalizeScores } from './blend.js';
import { assertClose } from '../../../test/support/model-fixtures.js';

test('z normalization ignores excluded and non-finite scores and floors them', () => {
  const scores = Float32Array.from([1, 2, 3, 100, Number.NEGATIVE_INFINITY]);
  const normalized = normalizeScores(scores, 'z', new Set([3]));
  const deviation = Math.sqrt(2 / 3);
  assertClose(normalized[0]!, -1 / deviation, 1e-6);
  assertClose(normalized[1]!, 0, 1e-6);
  assertClose(normalized[2]!, 1 / deviation, 1e-6);
  assertClose(normalized[3]!, -1 / deviation, 1e-6);
  assertClose(normalized[4]!, -1 / deviation, 1e-6);
});

test('rank normalization maps best to 1 and worst to 0', () => {
  const normalized = normalizeScores(Float32Array.from([0.3, -5, 9, 0.4]), 'rank');
  assert.deepEqual(
    [...normalized].map((value) => value.toFixed(3)),
    ['0.333', '0.000', '1.000', '0.667'],
  );
});

test('a blend combines models and removes excluded items', () => {
  const a = Float32Array.from([3, 2, 1, 0]);
  const b = Float32Array.from([0, 10, 20, 30]);
  const blended = blendScores(
    [
      { scores: a, weight: 1 },
      { scores: b, weight: 0.5 },
    ],
    'rank',
    new Set([0]),
  );
  assert.equal(blended[0], Number.NEGATIVE_INFINITY);
  assertClose(blended[1]!, 1 + 0, 1e-6);
  assertClose(blended[2]!, 0.5 + 0.25, 1e-6);
  assertClose(blended[3]!, 0 + 0.5, 1e-6);
});
