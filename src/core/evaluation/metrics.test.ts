import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecisionAtK,
  catalogCoverage,
  evaluateRanking,
  ndcgAtK,
  novelty,
  precisionAtK,
  recallAtK,
  reciprocalRankAtK,
} from './metrics.js';

function close(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`);
}

// Hits at ranks 2 and 5 of 5; three relevant items.
const recommended = [1, 2, 3, 4, 5];
const relevant = new Set([2, 5, 9]);

test('per-user metrics match hand computation', () => {
  close(precisionAtK(recommended, relevant, 5), 2 / 5);
  close(recallAtK(recommended, relevant, 5), 2 / 3);
  close(
    ndcgAtK(recommended, relevant, 5),
    (1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)),
  );
  close(averagePrecisionAtK(recommended, relevant, 5), (1 / 2 + 2 / 5) / 3);
  close(reciprocalRankAtK(recommended, relevant, 5), 1 / 2);
  // Only the first k count.
  close(precisionAtK(recommended, relevant, 3), 1 / 3);
  close(reciprocalRankAtK([7, 8, 2], relevant, 2), 0);
});

test('ideal DCG and MAP normalize by min(k, relevant), precision by k', () => {
  const many = new Set(Array.from({ length: 20 }, (_, item) => item));
  const top = Array.from({ length: 10 }, (_, item) => item);
  close(ndcgAtK(top, many, 10), 1);
  close(averagePrecisionAtK(top, many, 10), 1);
  close(recallAtK(top, many, 10), 0.5);
  close(precisionAtK([2], relevant, 10), 0.1);
});

test('evaluateRanking averages over users with both truth and recommendations', () => {
  const metrics = evaluateRanking(
    new Map([
      [0, recommended],
      [1, [7, 8]],
      [2, [1]],
    ]),
    new Map([
      [0, relevant],
      [1, new Set([1])],
      [3, new Set([1])],
    ]),
    5,
  );
  assert.equal(metrics.users, 2);
  close(metrics.precision, 0.2);
  close(metrics.recall, 1 / 3);
  close(metrics.mrr, 0.25);
  close(metrics.hitRate, 0.5);
  close(metrics.map, 0.15);
});

test('coverage and novelty follow the Microsoft Recommenders definitions', () => {
  const lists = new Map([
    [0, [0, 1]],
    [1, [0, 5]],
  ]);
  close(catalogCoverage(lists, 3, 2), 1);
  close(catalogCoverage(lists, 3, 1), 1 / 3);
  // -log2(2/4) = 1 for item 0, -log2(1/4) = 2 for item 1, item 5 unseen in training adds 0.
  close(novelty(lists, [2, 1, 1], 2), (1 + 2 + 1 + 0) / 4);
});
