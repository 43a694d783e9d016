import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import { createRandom } from '../models/random.js';
import { ON_CALLING_THREAD } from '../models/ials-threads.js';
import { HoldoutValidation } from './holdout-validation.js';
import type { InteractionLog } from './interaction-views.js';
import { DEFAULT_COMPONENTS } from './blend-config.js';
import { capacityStep } from './model-search.js';

const types = new InteractionTypes();
const CLICK = types.indexOf('click')!;

/** 120 users in 4 taste groups over 80 items, about 40% of their group's items each. */
function groups(): InteractionLog {
  const random = createRandom(5);
  const users: number[] = [];
  const items: number[] = [];
  for (let user = 0; user < 120; user++) {
    for (let item = 0; item < 80; item++) {
      const own = Math.floor(item / 20) === user % 4;
      if (random.next() < (own ? 0.4 : 0.03)) {
        users.push(user);
        items.push(item);
      }
    }
  }
  const n = users.length;
  return {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    types: new Uint8Array(n).fill(CLICK),
    values: new Float64Array(n).fill(Number.NaN),
    times: Float64Array.from({ length: n }, (_, i) => i),
  };
}

const small = {
  ...DEFAULT_COMPONENTS.ials,
  params: { ...DEFAULT_COMPONENTS.ials.params, factors: 8, regularization: 0.5, iterations: 8 },
};

test('the holdout follows each configuration’s learning curve to the full data', async () => {
  const log = groups();
  const rows = Int32Array.from({ length: log.users.length }, (_, i) => i);
  const holdout = new HoldoutValidation(
    log,
    types,
    { users: 120, items: 80 },
    rows,
    { kind: 'random', ratio: 0.75, seed: 3 },
    { threads: ON_CALLING_THREAD, seed: 1, historyLimit: 100 },
  );
  assert.equal(holdout.users, 120);
  assert.equal(holdout.fitsPerTrial, 4, 'two cuts, each at two scales');
  // The full data is 4/3 of a cut's training rows, the reduced scale 2/3 of them.
  assert.ok(
    Math.abs(holdout.extrapolationStep - Math.log(4 / 3) / Math.log(3 / 2)) < 0.02,
    `step ${holdout.extrapolationStep}`,
  );

  const result = await holdout.evaluate(small, 10);
  assert.equal(result.fits, 4);
  assert.ok(result.reduced !== undefined);
  assert.ok(result.measured > 0.25, `taste groups are learnable: ${result.measured}`);
  assert.ok(result.measured > result.reduced, 'more training rows score better');
  assert.ok(
    Math.abs(
      result.extrapolated -
        (result.measured + holdout.extrapolationStep * (result.measured - result.reduced)),
    ) < 1e-12,
  );
  assert.ok(result.extrapolated > result.measured);

  const screening = await holdout.evaluate(small, 10, 2);
  assert.equal(screening.fits, 1);
  assert.equal(screening.reduced, undefined);
  assert.equal(screening.extrapolated, screening.measured);
});

test('a capacity step trades penalty for factors, within the range', () => {
  const up = capacityStep(DEFAULT_COMPONENTS.ials, 1)!;
  assert.equal(up.params.factors, 192);
  assert.equal(up.params.regularization, 4);
  assert.equal(up.params.alpha, DEFAULT_COMPONENTS.ials.params.alpha);
  const down = capacityStep(DEFAULT_COMPONENTS.ials, -1)!;
  assert.equal(down.params.factors, 80);
  assert.equal(down.params.regularization, 6.25);
  const smallest = { ...small, params: { ...small.params, factors: 16 } };
  assert.equal(capacityStep(smallest, -1), undefined);
});
