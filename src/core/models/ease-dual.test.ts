import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractionMatrix } from './interaction-matrix.js';
import { fitEase, scoreEase } from './ease.js';
import { fitEaseDual, scoreEaseDual } from './ease-dual.js';
import { createRandom } from './random.js';

function randomMatrix(
  users: number,
  items: number,
  density: number,
  seed: number,
  weighted = false,
) {
  const random = createRandom(seed);
  const u: number[] = [];
  const i: number[] = [];
  const w: number[] = [];
  for (let user = 0; user < users; user++)
    for (let item = 0; item < items; item++)
      if (random.next() < density) {
        u.push(user);
        i.push(item);
        w.push(weighted ? 1 + Math.floor(random.next() * 5) : 1);
      }
  return buildInteractionMatrix({ users: u, items: i, weights: w }, { users, items });
}

test("the dual form scores exactly what EASE's item-item matrix scores", () => {
  for (const weighted of [false, true]) {
    const matrix = randomMatrix(12, 30, 0.3, weighted ? 2 : 1, weighted);
    const primal = fitEase(matrix, { lambda: 5, weighted, maxItems: 30 });
    const dual = fitEaseDual(matrix, { lambda: 5, weighted });
    for (const history of [[0], [1, 4, 7], [2, 3, 5, 8, 13, 21]]) {
      const weights = history.map((_, position) => 1 + position);
      const expected = scoreEase(primal, history, weighted ? weights : undefined);
      const actual = scoreEaseDual(dual, history, weighted ? weights : undefined);
      for (let item = 0; item < 30; item++) {
        if (!Number.isFinite(expected[item]!)) {
          assert.equal(actual[item], Number.NEGATIVE_INFINITY, `item ${item} has no interactions`);
          continue;
        }
        assert.ok(
          Math.abs(actual[item]! - expected[item]!) < 1e-4 * (1 + Math.abs(expected[item]!)),
          `weighted=${weighted} history=${history} item ${item}: ${actual[item]} vs ${expected[item]}`,
        );
      }
    }
  }
});

test("emphasized dropout raises popular items' penalties; zero dropout is plain EASE", () => {
  const matrix = randomMatrix(10, 25, 0.4, 3);
  const plain = fitEaseDual(matrix, { lambda: 4 });
  const same = fitEaseDual(matrix, { lambda: 4, dropout: 0 });
  assert.deepEqual(plain.diagonal, same.diagonal);
  const emphasized = fitEaseDual(matrix, { lambda: 4, dropout: 0.5 });
  const popularity = new Float64Array(25);
  for (const item of matrix.colIdx) popularity[item]!++;
  for (let item = 0; item < 25; item++)
    if (popularity[item]! > 0)
      assert.ok(Math.abs(1 / emphasized.inversePenalty[item]! - (4 + popularity[item]!)) < 1e-3);
  assert.throws(() => fitEaseDual(matrix, { dropout: 1 }), /dropout/);
});
