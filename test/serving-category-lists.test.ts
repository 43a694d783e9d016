// Requests narrowed to one category read each user's list within that category, ranked
// ahead after the model loads (serving.categoryLists), instead of searching the category's
// index; an acknowledged event of the user drops their lists, so the next answer is fresh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions } from './support/planted-data.js';
import { IALS_ONLY_PIPELINE, indexSearches } from './support/index-searches.js';

interface Answer {
  items: { id: string; score: number }[];
}

/** Items alternate between two categories within every block. */
const categoryOf = (itemId: string): string =>
  Number(itemId.split('-')[1]) % 2 === 0 ? 'even' : 'odd';

let kindred: ModelServer;
const data = plantedInteractions();
before(async () => {
  kindred = await startModelServer({
    KINDRED_TRAINING_PIPELINE: IALS_ONLY_PIPELINE,
    KINDRED_SERVING_ANN_MIN_ITEMS: '100',
  });
  const itemIds = [...new Set(data.events.map((event) => String(event.itemId)))];
  await kindred.engine.writes.upsertItems(
    itemIds.map((id) => ({ id, title: id, categories: [categoryOf(id)] })),
    { source: 'test' },
  );
  await kindred.record(data.events);
  const trained = await kindred.client.post('/v1/models/train?wait=true', {});
  assert.equal(trained.status, 200, trained.text);
  const service = kindred.models.recommendations;
  const deadline = Date.now() + 20_000;
  // Ranked ahead in slices: done once every user has both lists.
  const lists = 2 * kindred.engine.readModels.users.ids.size;
  while ((service.materializedStats()?.categoryLists ?? 0) < lists && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
});
after(() => kindred.close());

const narrowed = (userId: string, category: string): string =>
  `/v1/users/${userId}/recommendations?k=5&filter=${encodeURIComponent(`"${category}" in categories`)}`;

test('lists within a category are ranked ahead and served without searching', async () => {
  const service = kindred.models.recommendations;
  const recommender = kindred.models.serving.activeRecommender!;
  assert.deepEqual(recommender.partitionNames.sort(), ['even', 'odd']);
  const kept = service.materializedStats()!;
  // Every user in both categories (380 users, far below the default capacity).
  assert.equal(kept.categoryLists, 2 * kindred.engine.readModels.users.ids.size);

  const readModels = kindred.engine.readModels;
  for (const userId of ['u0-0', 'u3-7', 'u5-29'])
    for (const category of ['even', 'odd']) {
      const before = indexSearches();
      const answer = await kindred.client.get<Answer>(narrowed(userId, category));
      assert.equal(answer.status, 200, answer.text);
      assert.equal(indexSearches(), before, `${userId} ${category}: no index search`);
      const ids = answer.body.items.map((item) => item.id);
      assert.equal(ids.length, 5);
      for (const id of ids) assert.equal(categoryOf(id), category, `${userId}: ${id}`);
      // The same items the category's own index search gives.
      const user = readModels.users.ids.indexOf(userId)!;
      const searched = recommender.recommend(
        readModels.histories,
        user,
        5,
        kindred.models.serving.blockedItems,
        user,
        false,
        [category],
      )!;
      assert.deepEqual(
        ids,
        [...searched.indices].map((item) => readModels.catalog.ids.idOf(item)),
        `${userId} ${category}`,
      );
    }
  const after = service.materializedStats()!;
  assert.equal(after.categoryHits - kept.categoryHits, 6);
  assert.equal(after.categoryMisses, kept.categoryMisses);
});

test('an acknowledged event of the user drops their lists: the next answer reflects it', async () => {
  const userId = 'u2-4';
  const first = await kindred.client.get<Answer>(narrowed(userId, 'odd'));
  assert.equal(first.status, 200, first.text);
  const top = first.body.items[0]!.id;
  const misses = kindred.models.recommendations.materializedStats()!.categoryMisses;

  await kindred.record([{ type: 'purchase', userId, itemId: top }]);
  const before = indexSearches();
  const next = await kindred.client.get<Answer>(narrowed(userId, 'odd'));
  assert.equal(next.status, 200, next.text);
  const ids = next.body.items.map((item) => item.id);
  assert.ok(!ids.includes(top), `${top} was bought and is still recommended: ${ids.join(',')}`);
  assert.ok(indexSearches() > before, 'the list was ranked afresh');
  assert.equal(kindred.models.recommendations.materializedStats()!.categoryMisses, misses + 1);
  // Another user's lists are untouched.
  const other = indexSearches();
  await kindred.client.get<Answer>(narrowed('u2-5', 'odd'));
  assert.equal(indexSearches(), other);
});
