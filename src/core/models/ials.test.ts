import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitIals, fitIalsSync } from './ials.js';
import type { IalsThreads } from './ials-threads.js';
import { IalsWorkspace } from './ials-workspace.js';
import { foldInUser } from '../../../test/support/reference-fold-in.js';
import {
  recommendFromVector,
  scoreItems,
  similarItemsByFactors,
  userVector,
} from './factor-model.js';
import { buildInteractionMatrix, rowIndices } from './interaction-matrix.js';
import { IndexMask } from './top-k.js';
import { solveRowRangeJs } from './ials-cg.js';
import { assertRecoversBlocks, plantedBlocks } from '../../../test/support/model-fixtures.js';

const blocks = plantedBlocks(3, 20, 12, 0.6);
// Strong regularization: with little of it, 8 factors memorize each user's own items
// instead of learning the blocks.
const options = { factors: 8, regularization: 10, alpha: 5, iterations: 10, seed: 3 } as const;

test('iALS recovers a planted block structure (WebAssembly kernels)', () => {
  assertRecoversBlocks(fitIalsSync(blocks.matrix, options), blocks);
});

test('the JavaScript reference kernels agree with the WebAssembly ones', () => {
  // 20 factors: not a multiple of 16, so the zero padding of the SIMD rows is exercised.
  const settings = { ...options, factors: 20, regularization: 5 };
  assertRecoversBlocks(fitIalsSync(blocks.matrix, { ...settings, engine: 'js' }), blocks);
  const wasm = fitIalsSync(blocks.matrix, { ...settings, iterations: 2, engine: 'wasm' });
  const js = fitIalsSync(blocks.matrix, { ...settings, iterations: 2, engine: 'js' });
  let largest = 0;
  let difference = 0;
  js.itemFactors.forEach((value, index) => {
    largest = Math.max(largest, Math.abs(value));
    difference = Math.max(difference, Math.abs(value - wasm.itemFactors[index]!));
  });
  assert.ok(difference < 1e-3 * largest, `max difference ${difference} vs scale ${largest}`);
});

test('sweeps run on the executors the caller provides, one per slot, as on one thread', async () => {
  const started: number[] = [];
  // Executors on this thread, over the training's own memory: what worker threads do.
  const inline: IalsThreads = {
    count: 2,
    start(setup) {
      started.push(setup.layout.slots);
      const workspace = new IalsWorkspace(setup.memory, setup.layout, setup.engine, setup.module);
      return {
        run: async (tasks) => {
          for (const task of tasks) workspace.execute(task);
        },
        close: async () => undefined,
      };
    },
  };
  const spread = await fitIals(blocks.matrix, { ...options, threads: inline });
  assert.deepEqual(started, [2]);
  assertRecoversBlocks(spread, blocks);
  const single = fitIalsSync(blocks.matrix, options);
  let difference = 0;
  spread.userFactors.forEach((value, index) => {
    difference = Math.max(difference, Math.abs(value - single.userFactors[index]!));
  });
  assert.ok(difference < 1e-3, `max difference ${difference}`);
});

test('negative weights push items below unseen ones', () => {
  const { matrix } = blocks;
  const users: number[] = [];
  const items: number[] = [];
  const weights: number[] = [];
  for (let user = 0; user < matrix.rows; user++) {
    for (const item of rowIndices(matrix, user)) {
      users.push(user);
      items.push(item);
      weights.push(1);
    }
  }
  // User 0 dislikes every unseen item of their own block but item 11 (if unseen).
  const seen = new Set(rowIndices(matrix, 0));
  const disliked = [...Array(11).keys()].filter((item) => !seen.has(item));
  for (const item of disliked) {
    users.push(0);
    items.push(item);
    weights.push(-4);
  }
  const signed = buildInteractionMatrix(
    { users, items, weights },
    { users: matrix.rows, items: matrix.cols },
  );
  const model = fitIalsSync(signed, options);
  const scores = scoreItems(model, userVector(model, 0));
  const liked = scores[[...seen][0]!]!;
  for (const item of disliked)
    assert.ok(scores[item]! < liked, `disliked ${item} scores ${scores[item]}`);
});

test('fold-in of a new user with three interactions recommends those items neighbours', () => {
  const model = fitIalsSync(blocks.matrix, options);
  const history = [12, 13, 14]; // block 1
  const vector = foldInUser(model, history, [1, 2, 1]);
  const ranked = recommendFromVector(model, vector, 5, new IndexMask(model.items, history));
  for (const item of ranked.indices)
    assert.equal(blocks.itemBlock[item], 1, `item ${item} is outside block 1`);

  const neighbours = new Set<number>();
  for (const item of history)
    for (const other of similarItemsByFactors(model, item, 8).indices) neighbours.add(other);
  const overlap = [...ranked.indices].filter((item) => neighbours.has(item)).length;
  assert.ok(overlap >= 4, `only ${overlap} of 5 recommendations are neighbours of the history`);
});

test('fold-in solves the same system as the conjugate-gradient training step', () => {
  const model = fitIalsSync(blocks.matrix, { ...options, regularizationExponent: 0.5 });
  const items = [3, 7, 15, 30];
  const weights = [2, 1, -3, 1];
  const folded = foldInUser(model, items, weights);

  // The training kernel, run to convergence from zero on a one-row matrix.
  const { factors } = model;
  const target = new Float32Array(factors);
  solveRowRangeJs(
    {
      rowPtr: Int32Array.from([0, items.length]),
      colIdx: Int32Array.from(items),
      values: Float32Array.from(weights),
      rowRegularization: Float32Array.from([options.regularization * Math.sqrt(items.length)]),
    },
    target,
    model.itemFactors,
    Float32Array.from(model.itemGram),
    factors,
    options.alpha,
    10 * factors,
    0,
    1,
  );
  folded.forEach((value, f) =>
    assert.ok(Math.abs(value - target[f]!) < 1e-4, `factor ${f}: ${value} vs ${target[f]}`),
  );
});

test('options are validated', () => {
  assert.throws(() => fitIalsSync(blocks.matrix, { factors: 0 }), /factors/);
  assert.throws(() => fitIalsSync(blocks.matrix, { regularization: 0 }), /regularization/);
});
