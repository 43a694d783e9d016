// Personalized search and autocomplete with a trained model: the user's vector affinity
// reorders equally relevant titles towards the items of their taste.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE, type PlantedData } from './support/planted-data.js';

interface SearchAnswer {
  hits: { id: string; score: number; explain?: Record<string, number | null> }[];
}
interface AutocompleteAnswer {
  items: { id: string; title: string; score: number }[];
}

/** Items of blocks 1 and 2 (two tastes) all titled alike, so text cannot tell them apart. */
const LAMPS = [1, 2].flatMap((block) =>
  Array.from({ length: 8 }, (_, i) => ({ id: `i${block}-${i}`, title: 'Desk lamp' })),
);

describe('search affinity with a trained model', () => {
  let kindred: ModelServer;
  let data: PlantedData;
  before(async () => {
    kindred = await startModelServer({ KINDRED_TRAINING_PIPELINE: TEST_PIPELINE });
    data = plantedInteractions();
    await kindred.record(data.events);
    const items = await kindred.client.post('/v1/items/batch', { items: LAMPS });
    assert.equal(items.status, 200, items.text);
    const trained = await kindred.client.post('/v1/models/train?wait=true', {});
    assert.equal(trained.status, 200, trained.text);
  });
  after(() => kindred.close());

  const blocks = (ids: readonly string[]): number[] => ids.map((id) => data.blockOfItem(id));

  test('search: affinity is explained and puts the user’s block first', async () => {
    const onlyAffinity = 'blend=popularity:0,recency:0,categories:0,affinity:0.5';
    const anonymous = await kindred.client.get<SearchAnswer>(
      `/v1/search?q=desk%20lamp&k=16&explain=true&${onlyAffinity}`,
    );
    assert.equal(anonymous.status, 200, anonymous.text);
    assert.equal(anonymous.body.hits[0]?.explain?.['affinity'], null, 'no user, no affinity');
    // Same text everywhere: without a user the catalog order decides, block 1 first.
    assert.deepEqual(
      blocks(anonymous.body.hits.slice(0, 8).map((hit) => hit.id)),
      Array(8).fill(1),
    );

    for (const block of [1, 2]) {
      const answer = await kindred.client.get<SearchAnswer>(
        `/v1/search?q=desk%20lamp&k=16&explain=true&userId=u${block}-0&${onlyAffinity}`,
      );
      assert.equal(answer.status, 200, answer.text);
      const hits = answer.body.hits;
      assert.equal(hits.length, 16);
      for (const hit of hits) {
        const affinity = hit.explain?.['affinity'];
        assert.equal(typeof affinity, 'number', `affinity explained for ${hit.id}`);
        assert.ok(Math.abs(hit.score - hit.explain!['text']! * hit.explain!['multiplier']!) < 1e-9);
      }
      const mine = hits.filter((hit) => data.blockOfItem(hit.id) === block);
      const others = hits.filter((hit) => data.blockOfItem(hit.id) !== block);
      const mean = (list: typeof hits): number =>
        list.reduce((sum, hit) => sum + (hit.explain!['affinity'] as number), 0) / list.length;
      assert.ok(mean(mine) > mean(others) + 0.2, `${mean(mine)} vs ${mean(others)}`);
      // Their taste's items come first: most of the top half is from their block.
      const top = blocks(hits.slice(0, 8).map((hit) => hit.id));
      assert.ok(top.filter((b) => b === block).length >= 6, `u${block}-0 top 8: ${top.join(',')}`);
    }
  });

  test('autocomplete: the same user taste reorders item completions', async () => {
    for (const block of [1, 2]) {
      const answer = await kindred.client.get<AutocompleteAnswer>(
        `/v1/autocomplete?q=desk%20la&items=5&k=0&userId=u${block}-0`,
      );
      assert.equal(answer.status, 200, answer.text);
      const top = blocks(answer.body.items.map((item) => item.id));
      assert.equal(top.length, 5);
      assert.ok(top.filter((b) => b === block).length >= 4, `u${block}-0: ${top.join(',')}`);
    }
    const anonymous = await kindred.client.get<AutocompleteAnswer>(
      '/v1/autocomplete?q=lam&items=5&k=0',
    );
    assert.equal(anonymous.body.items.length, 5);
  });
});
