import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractionMatrix } from './interaction-matrix.js';
import { fitItemKnn, scoreFromHistory, similarItemsKnn } from './item-knn.js';
import { assertClose } from '../../../test/support/model-fixtures.js';

// u0: {0, 1}; u1: {0, 1, 2}; u2: {1, 2}
// occurrences 2, 3, 2; co(0,1) = 2, co(0,2) = 1, co(1,2) = 2
const matrix = buildInteractionMatrix({
  users: [0, 0, 1, 1, 1, 2, 2],
  items: [0, 1, 0, 1, 2, 1, 2],
  weights: [1, 1, 1, 1, 1, 1, 1],
  timestamps: [0, 0, 10, 10, 10, 20, 20],
});

function similarity(model: ReturnType<typeof fitItemKnn>, a: number, b: number): number {
  const { rowPtr, colIdx, values } = model.neighbours;
  for (let entry = rowPtr[a]!; entry < rowPtr[a + 1]!; entry++)
    if (colIdx[entry] === b) return values[entry]!;
  return 0;
}

test('cosine, jaccard and lift match hand-computed values', () => {
  const expected = {
    cosine: [2 / Math.sqrt(6), 1 / 2, 2 / Math.sqrt(6)],
    jaccard: [2 / 3, 1 / 3, 2 / 3],
    lift: [2 / 6, 1 / 4, 2 / 6],
  } as const;
  for (const kind of ['cosine', 'jaccard', 'lift'] as const) {
    const model = fitItemKnn(matrix, { similarity: kind });
    const [s01, s02, s12] = expected[kind];
    assertClose(similarity(model, 0, 1), s01, 1e-6, `${kind}(0,1)`);
    assertClose(similarity(model, 1, 0), s01, 1e-6, `${kind}(1,0)`);
    assertClose(similarity(model, 0, 2), s02, 1e-6, `${kind}(0,2)`);
    assertClose(similarity(model, 1, 2), s12, 1e-6, `${kind}(1,2)`);
    assert.equal(similarity(model, 1, 1), 0, 'an item is not its own neighbour');
  }
});

test('shrinkage lowers cosine, pruning keeps the best neighbours in order', () => {
  const shrunk = fitItemKnn(matrix, { shrinkage: 1 });
  assertClose(similarity(shrunk, 0, 2), 1 / 3, 1e-6);
  const pruned = fitItemKnn(matrix, { neighbours: 1 });
  assert.deepEqual([...similarItemsKnn(pruned, 0, 5).indices], [1]);
  assert.deepEqual([...similarItemsKnn(fitItemKnn(matrix), 0, 5).indices], [1, 2]);
});

test('time decay weakens old co-occurrences', () => {
  const decayed = fitItemKnn(matrix, { timeDecay: { halfLife: 10, referenceTime: 20 } });
  // Strengths: u0 0.25, u1 0.5, u2 1. co(0,1) = 0.0625 + 0.25; occ0 = 0.0625 + 0.25,
  // occ1 = 0.3125 + 1.
  assertClose(similarity(decayed, 0, 1), 0.3125 / Math.sqrt(0.3125 * 1.3125), 1e-6);
});

test('scoring sums the history items neighbourhoods, weighted', () => {
  const model = fitItemKnn(matrix);
  const scores = scoreFromHistory(model, [0, 2], [1, 2]);
  assertClose(scores[1]!, 2 / Math.sqrt(6) + 2 * (2 / Math.sqrt(6)), 1e-6);
  assertClose(scores[0]!, 2 * 0.5, 1e-6);
});
