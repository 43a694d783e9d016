// Above serving.annMinItems an iALS-only model is served from an inner-product index,
// built before the model swaps in; lists stay what the full scan gives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions } from './support/planted-data.js';
import { IALS_ONLY_PIPELINE, indexSearches } from './support/index-searches.js';

interface Answer {
  items: { id: string; score: number }[];
}

let kindred: ModelServer;
const data = plantedInteractions();
before(async () => {
  kindred = await startModelServer({
    KINDRED_TRAINING_PIPELINE: IALS_ONLY_PIPELINE,
    KINDRED_SERVING_ANN_MIN_ITEMS: '100',
  });
  await kindred.record(data.events);
  const trained = await kindred.client.post('/v1/models/train?wait=true', {});
  assert.equal(trained.status, 200, trained.text);
});
after(() => kindred.close());

test('the index is attached after the model loads and serves what a full scan would', async () => {
  const serving = kindred.models.serving;
  const deadline = Date.now() + 10_000;
  while (serving.activeRecommender?.usesIndex !== true && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const recommender = serving.activeRecommender!;
  assert.ok(recommender.usesIndex, 'the index was never attached');

  const readModels = kindred.engine.readModels;
  let overlap = 0;
  const users = Array.from({ length: 6 }, (_, block) =>
    Array.from({ length: 5 }, (_, u) => `u${block}-${u}`),
  ).flat();
  for (const userId of users) {
    const user = readModels.users.ids.indexOf(userId)!;
    // The user's list ranked at training time serves while their history is unchanged; a
    // view since makes the next request rank afresh, through the index.
    const viewed = await kindred.client.post('/v1/events', {
      type: 'view',
      userId,
      itemId: `i${userId[1]}-0`,
    });
    assert.ok(viewed.status === 200 || viewed.status === 201, viewed.text);
    const exact = recommender.recommend(
      readModels.histories,
      user,
      10,
      serving.blockedItems,
      user,
      true,
    )!;
    const expected = new Set([...exact.indices].map((item) => readModels.catalog.ids.idOf(item)));

    // `exact=true` ranks every item, without the index: exactly the full scan's list.
    const beforeExact = indexSearches();
    const exactly = await kindred.client.get<Answer>(
      `/v1/users/${userId}/recommendations?k=10&exact=true`,
    );
    assert.equal(exactly.status, 200, exactly.text);
    assert.equal(indexSearches(), beforeExact, 'exact=true did not search the index');
    assert.deepEqual(new Set(exactly.body.items.map((item) => item.id)), expected, userId);

    const beforePlain = indexSearches();
    const served = await kindred.client.get<Answer>(`/v1/users/${userId}/recommendations?k=10`);
    assert.equal(served.status, 200, served.text);
    assert.ok(indexSearches() > beforePlain, 'without it, the index is searched');
    const ids = served.body.items.map((item) => item.id);
    assert.equal(ids.length, 10);
    // Unseen items of the user's own block, as the planted structure says.
    for (const id of ids) assert.equal(data.blockOfItem(id), Number(userId[1]), `${userId}: ${id}`);
    overlap += ids.filter((id) => expected.has(id)).length / 10;
  }
  assert.ok(overlap / users.length >= 0.95, `overlap@10 ${overlap / users.length}`);
});
