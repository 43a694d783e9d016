import { type FactorModel, scoreItems, userVector } from '../../src/core/models/factor-model.js';
import {
  type CsrMatrix,
  buildInteractionMatrix,
  rowIndices,
} from '../../src/core/models/interaction-matrix.js';
import { createRandom } from '../../src/core/models/random.js';

/** Shared fixtures for the model tests (not used by the models themselves). */

export interface PlantedBlocks {
  readonly matrix: CsrMatrix;
  /** Block of each user and each item. */
  readonly userBlock: Int32Array;
  readonly itemBlock: Int32Array;
}

/**
 * Users and items split into `blocks` equal groups; each user interacts with a random
 * `density` share of their own block's items and nothing else. A model that captures
 * the structure ranks a user's unseen in-block items above every out-of-block item.
 */
export function plantedBlocks(
  blocks: number,
  usersPerBlock: number,
  itemsPerBlock: number,
  density: number,
  seed = 1,
): PlantedBlocks {
  const random = createRandom(seed);
  const users: number[] = [];
  const items: number[] = [];
  const userBlock = new Int32Array(blocks * usersPerBlock);
  const itemBlock = new Int32Array(blocks * itemsPerBlock);
  for (let block = 0; block < blocks; block++) {
    for (let u = 0; u < usersPerBlock; u++) {
      const user = block * usersPerBlock + u;
      userBlock[user] = block;
      for (let i = 0; i < itemsPerBlock; i++) {
        const item = block * itemsPerBlock + i;
        itemBlock[item] = block;
        if (random.next() < density) {
          users.push(user);
          items.push(item);
        }
      }
    }
  }
  const matrix = buildInteractionMatrix(
    { users, items, weights: new Float32Array(users.length).fill(1) },
    { users: userBlock.length, items: itemBlock.length },
  );
  return { matrix, userBlock, itemBlock };
}

export function assertClose(actual: number, expected: number, tolerance: number, label = ''): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${label} expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** Every user's unseen in-block items outrank all out-of-block items. */
export function assertRecoversBlocks(model: FactorModel, blocks: PlantedBlocks): void {
  const { matrix, userBlock, itemBlock } = blocks;
  for (let user = 0; user < matrix.rows; user++) {
    const scores = scoreItems(model, userVector(model, user));
    const seen = new Set(rowIndices(matrix, user));
    let worstInBlock = Number.POSITIVE_INFINITY;
    let bestOutOfBlock = Number.NEGATIVE_INFINITY;
    scores.forEach((score, item) => {
      if (itemBlock[item] !== userBlock[user]) bestOutOfBlock = Math.max(bestOutOfBlock, score);
      else if (!seen.has(item)) worstInBlock = Math.min(worstInBlock, score);
    });
    if (!(worstInBlock > bestOutOfBlock))
      throw new Error(`user ${user}: ${worstInBlock} <= ${bestOutOfBlock}`);
  }
}
