import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitIals, fitIalsSync } from '../../core/models/ials.js';
import { assertRecoversBlocks, plantedBlocks } from '../../../test/support/model-fixtures.js';
import { ialsThreadPool } from './ials-thread-pool.js';

const blocks = plantedBlocks(3, 20, 12, 0.6);
// As in the core's iALS tests: strong regularization, so 8 factors learn the blocks.
const options = { factors: 8, regularization: 10, alpha: 5, iterations: 10, seed: 3 } as const;

test('two worker threads over shared memory train the same model', async () => {
  const threaded = await fitIals(blocks.matrix, { ...options, threads: ialsThreadPool(2) });
  const single = fitIalsSync(blocks.matrix, options);
  assertRecoversBlocks(threaded, blocks);
  let difference = 0;
  threaded.userFactors.forEach((value, index) => {
    difference = Math.max(difference, Math.abs(value - single.userFactors[index]!));
  });
  assert.ok(difference < 1e-3, `max difference ${difference}`);
});
