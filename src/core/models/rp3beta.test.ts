import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractionMatrix } from './interaction-matrix.js';
import { similarItemsKnn } from './item-knn.js';
import { fitRp3beta } from './rp3beta.js';
import { plantedBlocks } from '../../../test/support/model-fixtures.js';

test('RP3beta neighbours stay inside the planted block', () => {
  const { matrix, itemBlock } = plantedBlocks(4, 20, 15, 0.4);
  const model = fitRp3beta(matrix, { alpha: 1, beta: 0.5, neighbours: 10 });
  for (let item = 0; item < matrix.cols; item++) {
    const { indices } = similarItemsKnn(model, item, 10);
    for (const neighbour of indices) assert.equal(itemBlock[neighbour], itemBlock[item]);
    assert.ok(!indices.includes(item), 'an item is not its own neighbour');
  }
});

test('beta penalizes popular neighbours; rows can be normalized to sum 1', () => {
  // Item 0 is with everyone; items 1 and 2 co-occur with item 3 as often as item 0 does.
  const users: number[] = [];
  const items: number[] = [];
  const add = (u: number, i: number) => (users.push(u), items.push(i));
  for (let u = 0; u < 10; u++) add(u, 0);
  for (const u of [0, 1, 2]) add(u, 3);
  for (const u of [0, 1, 2]) add(u, 1);
  const matrix = buildInteractionMatrix(
    { users, items, weights: users.map(() => 1) },
    { items: 4 },
  );
  const plain = fitRp3beta(matrix, { beta: 0 });
  const penalized = fitRp3beta(matrix, { beta: 1 });
  const rank = (model: typeof plain) => Array.from(similarItemsKnn(model, 3, 2).indices);
  assert.equal(rank(plain)[0], 0, 'without the penalty the popular item comes first');
  assert.equal(rank(penalized)[0], 1, 'with it the specific co-occurrence wins');
  const normalized = fitRp3beta(matrix, { normalizeRows: true });
  const { scores } = similarItemsKnn(normalized, 3, 10);
  assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) - 1) < 1e-6);
});
