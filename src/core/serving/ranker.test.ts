import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../models/random.js';
import { FEATURE_COUNT, FEATURE_NAMES } from './features.js';
import { ImpressionRows, LogisticRanker } from './ranker.js';

const CF = FEATURE_NAMES.indexOf('source.cf');
const AFFINITY = FEATURE_NAMES.indexOf('affinity');
const CTR = FEATURE_NAMES.indexOf('ctr.24h');
const SLATE = 10;

/**
 * Logged impressions of 10-item slates under a click model with a known bias: people
 * click items of their favourite categories and items others clicked lately far more
 * than the collaborative score alone says. The blend sees only the source score.
 */
function logged(impressions: number, seed: number): ImpressionRows {
  const random = createRandom(seed);
  const rows = new ImpressionRows(impressions * SLATE, FEATURE_COUNT);
  const row = new Float32Array(FEATURE_COUNT);
  for (let i = 0; i < impressions; i++) {
    for (let position = 0; position < SLATE; position++) {
      for (let f = 0; f < FEATURE_COUNT; f++) row[f] = random.next();
      row[CF] = 1 - position / SLATE;
      row[AFFINITY] = random.next() < 0.3 ? 0.5 + random.next() / 2 : random.next() * 0.2;
      row[CTR] = 0.02 + random.next() * 0.1;
      const logit = -4 + 1 * row[CF]! + 3 * row[AFFINITY]! + 25 * row[CTR]!;
      const handle = rows.add(row, 0);
      if (random.next() < 1 / (1 + Math.exp(-logit))) rows.label(handle);
    }
  }
  return rows;
}

/** Mean over slates with a click of the reciprocal rank of the best-ranked click. */
function meanReciprocalRank(rows: ImpressionRows, score: (offset: number) => number): number {
  let total = 0;
  let slates = 0;
  for (let start = 0; start + SLATE <= rows.count; start += SLATE) {
    const order = Array.from({ length: SLATE }, (_, i) => start + i).sort(
      (a, b) => score(b * FEATURE_COUNT) - score(a * FEATURE_COUNT),
    );
    const first = order.findIndex((r) => rows.labels[r] === 1);
    if (first < 0) continue;
    total += 1 / (first + 1);
    slates++;
  }
  return total / slates;
}

test('the ranker beats the blend on a held-out slice of logged impressions', (t) => {
  const train = logged(3000, 1);
  const heldOut = logged(1000, 2);
  assert.ok(train.clicks > 500, `${train.clicks} clicks to learn from`);
  const ranker = LogisticRanker.fit(train.training());
  const blend = meanReciprocalRank(heldOut, (offset) => heldOut.rows[offset + CF]!);
  const learned = meanReciprocalRank(heldOut, (offset) => ranker.score(heldOut.rows, offset));
  t.diagnostic(`held-out MRR: ranker ${learned.toFixed(3)}, blend ${blend.toFixed(3)}`);
  assert.ok(
    learned > blend + 0.05,
    `ranker MRR ${learned.toFixed(3)} vs blend ${blend.toFixed(3)}`,
  );
  // It learned the planted bias: affinity and click-through weigh more than noise.
  const weight = (f: number): number => ranker.weights[f + 1]!;
  const noise = FEATURE_NAMES.indexOf('freshness');
  assert.ok(weight(AFFINITY) > 5 * Math.abs(weight(noise)));
  assert.ok(weight(CTR) > 5 * Math.abs(weight(noise)));
});

test('impression rows are a bounded ring; labels of overwritten rows are refused', () => {
  const rows = new ImpressionRows(4, 2);
  const handles = [0, 1, 2, 3, 4, 5].map((i) => rows.add(Float32Array.of(i, i), 0));
  assert.equal(rows.count, 4);
  assert.equal(rows.label(handles[0]!), false, 'overwritten');
  assert.equal(rows.label(handles[5]!), true);
  assert.equal(rows.clicks, 1);
  assert.deepEqual([...rows.rows.subarray(2, 4)], [5, 5], 'slot 1 holds the sixth row');
  for (let i = 0; i < 4; i++) rows.add(Float32Array.of(9, 9), 0);
  assert.equal(rows.clicks, 0, 'a clicked row that is overwritten stops counting');
});

test('a ranker fitted on one label only stays finite', () => {
  const rows = new ImpressionRows(50, FEATURE_COUNT);
  for (let i = 0; i < 50; i++) rows.add(new Float32Array(FEATURE_COUNT).fill(i / 50), 0);
  const ranker = LogisticRanker.fit(rows.training());
  const p = ranker.score(rows.rows, 0);
  assert.ok(Number.isFinite(p) && p < 0.01, `p ${p}`);
});
