import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitBpr } from './bpr.js';
import { scoreItems, userVector } from './factor-model.js';
import { rowIndices } from './interaction-matrix.js';
import { plantedBlocks } from '../../../test/support/model-fixtures.js';

const blocks = plantedBlocks(3, 20, 12, 0.6);

test('BPR ranks unseen in-block items above out-of-block items on planted blocks', () => {
  const model = fitBpr(blocks.matrix, { factors: 8, iterations: 60, learningRate: 0.05, seed: 2 });
  let correctPairs = 0;
  let pairs = 0;
  for (let user = 0; user < blocks.matrix.rows; user++) {
    const scores = scoreItems(model, userVector(model, user));
    const seen = new Set(rowIndices(blocks.matrix, user));
    scores.forEach((inScore, inItem) => {
      if (blocks.itemBlock[inItem] !== blocks.userBlock[user] || seen.has(inItem)) return;
      scores.forEach((outScore, outItem) => {
        if (blocks.itemBlock[outItem] === blocks.userBlock[user]) return;
        pairs++;
        if (inScore > outScore) correctPairs++;
      });
    });
  }
  // SGD is noisier than ALS: require a near-perfect pairwise ranking (AUC), not a perfect one.
  assert.ok(correctPairs / pairs > 0.97, `AUC ${correctPairs / pairs}`);
});

test('the same seed gives the same model', () => {
  const a = fitBpr(blocks.matrix, { factors: 4, iterations: 3, seed: 9 });
  const b = fitBpr(blocks.matrix, { factors: 4, iterations: 3, seed: 9 });
  const c = fitBpr(blocks.matrix, { factors: 4, iterations: 3, seed: 10 });
  assert.deepEqual(a.itemFactors, b.itemFactors);
  assert.notDeepEqual(a.itemFactors, c.itemFactors);
});
