import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import { buildIvfIndex } from '../models/ivf.js';
import { ON_CALLING_THREAD } from '../models/ials-threads.js';
import { LogHistories } from './offline.js';
import { parsePipelineConfig } from './blend-config.js';
import { Recommender } from './recommender.js';
import { fitPipeline } from './train-blend.js';
import { blockClicks } from '../../../test/support/block-clicks.js';

const types = new InteractionTypes();

/** 200 users in 8 blocks of 30 items; each clicks 6 items of their block. */
const blocks = () =>
  blockClicks({ seed: 9, users: 200, blocks: 8, itemsPerBlock: 30, clicksPerUser: 6 });

const IALS_ONLY = parsePipelineConfig({
  components: [{ kind: 'ials', params: { factors: 8, regularization: 0.5, iterations: 8 } }],
  historyLimit: 50,
});

async function fitted(config = IALS_ONLY) {
  const { log, users, items } = blocks();
  const rows = Int32Array.from({ length: log.users.length }, (_, i) => i);
  const model = await fitPipeline(log, types, { users, items }, rows, config, ON_CALLING_THREAD);
  return { model, histories: new LogHistories(log, rows, users), log };
}

test('an index probing every cluster ranks as scoring every item does', async () => {
  const { model, histories } = await fitted();
  const exact = new Recommender(model, types);
  const indexed = new Recommender(model, types);
  const ials = indexed.annFactors!;
  // Fewer clusters than the searcher's minimum probes: every cluster is scanned.
  indexed.useIndex(buildIvfIndex(ials.itemFactors, ials.items, ials.factors, { clusters: 6 }));
  assert.ok(indexed.usesIndex);
  for (let user = 0; user < 200; user++) {
    const blocked = { has: (item: number) => item % 7 === user % 7 };
    const expected = exact.recommend(histories, user, 12, blocked)!;
    const found = indexed.recommend(histories, user, 12, blocked)!;
    assert.deepEqual([...found.indices], [...expected.indices], `user ${user}`);
    assert.deepEqual([...found.scores], [...expected.scores], `user ${user}`);
  }
});

test('with the index, seen and blocked items never come back; exact scores every item', async () => {
  const { model, histories, log } = await fitted();
  const recommender = new Recommender(model, types);
  const ials = recommender.annFactors!;
  recommender.useIndex(buildIvfIndex(ials.itemFactors, ials.items, ials.factors, { clusters: 60 }));
  const exact = new Recommender(model, types);
  for (let user = 0; user < 200; user++) {
    const seen = new Set<number>();
    for (let row = 0; row < log.users.length; row++)
      if (log.users[row] === user) seen.add(log.items[row]!);
    const blocked = { has: (item: number) => item % 5 === 0 };
    const ranked = recommender.recommend(histories, user, 20, blocked)!;
    assert.equal(ranked.indices.length, 20);
    for (const item of ranked.indices) {
      assert.ok(!seen.has(item), `user ${user} got seen item ${item}`);
      assert.ok(!blocked.has(item), `user ${user} got blocked item ${item}`);
    }
    const asked = recommender.recommend(histories, user, 20, blocked, user, true)!;
    const expected = exact.recommend(histories, user, 20, blocked)!;
    assert.deepEqual([...asked.indices], [...expected.indices]);
  }
});

test('blended pipelines have no factor form and refuse an index', async () => {
  const { model } = await fitted(
    parsePipelineConfig({
      components: [
        { kind: 'ials', params: { factors: 8, regularization: 0.5, iterations: 4 } },
        { kind: 'popularity', weight: 0.1 },
      ],
      historyLimit: 50,
    }),
  );
  const recommender = new Recommender(model, types);
  assert.equal(recommender.annFactors, undefined);
  const ials = model.components[0]!;
  assert.equal(ials.kind, 'ials');
  if (ials.kind !== 'ials') return;
  const index = buildIvfIndex(ials.ials.itemFactors, ials.ials.items, ials.ials.factors);
  assert.throws(() => recommender.useIndex(index));
  assert.equal(recommender.usesIndex, false);
});
