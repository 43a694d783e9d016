// Recommendation endpoints, training and the model registry over real HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE, type PlantedData } from './support/planted-data.js';

interface Answer {
  recommendationId: string;
  items: { id: string; score: number }[];
}
interface ErrorAnswer {
  error: { code: string; details: Record<string, unknown> };
}

describe('recommendations', () => {
  let kindred: ModelServer;
  let data: PlantedData;
  before(async () => {
    kindred = await startModelServer({ KINDRED_TRAINING_PIPELINE: TEST_PIPELINE });
    data = plantedInteractions();
    await kindred.record(data.events);
  });
  after(() => kindred.close());

  const get = <T>(path: string) => kindred.client.get<T>(path);

  test('before any training: trending for users, 409 for similar items, an empty registry', async () => {
    const trending = await get<Answer>('/v1/trending?k=5');
    assert.equal(trending.status, 200);
    assert.equal(trending.body.items.length, 5);
    assert.ok(
      trending.body.items.every((item) => data.blockOfItem(item.id) === 0),
      'block 0 trends',
    );
    assert.equal(trending.body.items[0]!.score, 1, 'scores are relative to the first item');

    const user = await get<Answer>('/v1/users/u3-1/recommendations?k=5');
    assert.equal(user.status, 200);
    assert.equal(user.body.items.length, 5);

    const similar = await get<ErrorAnswer>('/v1/items/i3-1/similar');
    assert.equal(similar.status, 409);
    assert.equal(similar.body.error.code, 'NO_MODEL_TRAINED');

    const models = await get<{ active: null; models: unknown[] }>('/v1/models');
    assert.equal(models.status, 200);
    assert.equal(models.body.active, null);
    assert.deepEqual(models.body.models, []);
  });

  test('training stores a version with holdout metrics and serves it', async () => {
    const trained = await kindred.client.post<Record<string, unknown>>(
      '/v1/models/train?wait=true',
      {},
    );
    assert.equal(trained.status, 200, trained.text);
    assert.equal(trained.body['version'], 'v000001');
    assert.equal(trained.body['active'], true);
    const evaluation = trained.body['evaluation'] as { metrics: { ndcg: number; users: number } };
    assert.ok(evaluation.metrics.users > 0);
    assert.ok(evaluation.metrics.ndcg > 0.1, `holdout nDCG ${evaluation.metrics.ndcg}`);

    const listed = await get<{ active: string; models: { version: string; metrics: unknown }[] }>(
      '/v1/models',
    );
    assert.equal(listed.body.active, 'v000001');
    assert.equal(listed.body.models.length, 1);
    assert.ok(listed.body.models[0]!.metrics);
  });

  test('a known user gets unseen items of their own block, with a fresh recommendation id', async () => {
    const first = await get<Answer>('/v1/users/u3-1/recommendations?k=10');
    const second = await get<Answer>('/v1/users/u3-1/recommendations?k=10');
    assert.equal(first.status, 200);
    assert.equal(first.body.items.length, 10);
    assert.notEqual(first.body.recommendationId, second.body.recommendationId);
    const seen = new Set(data.events.filter((e) => e.userId === 'u3-1').map((e) => e.itemId));
    for (const item of first.body.items) {
      assert.ok(!seen.has(item.id), `${item.id} was already seen`);
      assert.equal(data.blockOfItem(item.id), 3, `${item.id} is outside the user's block`);
    }
  });

  test('an unknown user gets trending; k is validated', async () => {
    const unknown = await get<Answer>('/v1/users/nobody/recommendations?k=5');
    const trending = await get<Answer>('/v1/trending?k=5');
    assert.deepEqual(
      unknown.body.items.map((i) => i.id),
      trending.body.items.map((i) => i.id),
    );
    for (const bad of ['k=0', 'k=abc', 'k=100000', 'x=1']) {
      const response = await get<ErrorAnswer>(`/v1/users/u3-1/recommendations?${bad}`);
      assert.equal(response.status, 400, bad);
      assert.ok(['INVALID_REQUEST', 'UNKNOWN_FIELD'].includes(response.body.error.code), bad);
    }
    const missing = await get<ErrorAnswer>('/v1/items/nope/similar');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'ITEM_NOT_FOUND');
  });

  test("similar items come from the item's own block", async () => {
    const similar = await get<Answer>('/v1/items/i2-5/similar?k=8');
    assert.equal(similar.status, 200);
    assert.equal(similar.body.items.length, 8);
    assert.ok(!similar.body.items.some((item) => item.id === 'i2-5'));
    const inBlock = similar.body.items.filter((item) => data.blockOfItem(item.id) === 2).length;
    assert.ok(inBlock >= 7, `${inBlock} of 8 similar items in the block`);
  });

  test('a new user with three interactions is personalized on the very next request', async (t) => {
    // Three items of block 4, none of which trends.
    const clicked = ['i4-1', 'i4-2', 'i4-3'];
    await kindred.client.post('/v1/events', {
      events: clicked.map((itemId) => ({ type: 'click', userId: 'newcomer', itemId })),
    });
    const recommended = await get<Answer>('/v1/users/newcomer/recommendations?k=10');
    assert.equal(recommended.status, 200);
    const ids = recommended.body.items.map((i) => i.id);
    assert.ok(!ids.some((id) => clicked.includes(id)), 'clicked items are excluded');

    const neighbours = new Set<string>();
    for (const item of clicked) {
      const similar = await get<Answer>(`/v1/items/${item}/similar?k=10`);
      for (const { id } of similar.body.items) neighbours.add(id);
    }
    const trending = new Set((await get<Answer>('/v1/trending?k=10')).body.items.map((i) => i.id));
    const nearNeighbours = ids.filter((id) => neighbours.has(id)).length;
    const nearTrending = ids.filter((id) => trending.has(id)).length;
    t.diagnostic(
      `newcomer's 10 recommendations: ${nearNeighbours} among the three items' 10 nearest neighbours each, ` +
        `${nearTrending} among the 10 trending items, ${ids.filter((id) => data.blockOfItem(id) === 4).length} from the items' block`,
    );
    assert.ok(
      nearNeighbours > nearTrending,
      `closer to the neighbours (${nearNeighbours} of 10) than to trending (${nearTrending} of 10)`,
    );
    assert.ok(nearNeighbours >= 7, `${nearNeighbours} of 10 are neighbours of the three items`);
    assert.ok(ids.filter((id) => data.blockOfItem(id) === 4).length >= 8, 'mostly from block 4');
  });

  test('hidden and unavailable items are never recommended', async () => {
    const before = await get<Answer>('/v1/users/u1-2/recommendations?k=5');
    const [hide, outOfStock] = before.body.items.map((i) => i.id);
    assert.ok(hide && outOfStock);
    assert.equal((await kindred.client.patch(`/v1/items/${hide}`, { hidden: true })).status, 200);
    assert.equal(
      (await kindred.client.patch(`/v1/items/${outOfStock}`, { available: false })).status,
      200,
    );
    const paths = [
      '/v1/users/u1-2/recommendations?k=40',
      `/v1/items/i1-0/similar?k=40`,
      '/v1/trending?k=400',
      '/v1/users/nobody/recommendations?k=400',
    ];
    for (const path of paths) {
      const ids = (await get<Answer>(path)).body.items.map((i) => i.id);
      assert.ok(!ids.includes(hide!), `${path} returned the hidden item`);
      assert.ok(!ids.includes(outOfStock!), `${path} returned the unavailable item`);
    }
  });

  test('rollback by API; a second training while one runs is refused', async () => {
    const training = kindred.client.post<Record<string, unknown>>('/v1/models/train?wait=true', {});
    // Wait until the first request has started the training, then ask again.
    for (let i = 0; i < 100 && !kindred.models.trainer.status().running; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await kindred.client.post<ErrorAnswer>('/v1/models/train', {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'TRAINING_IN_PROGRESS');
    const second = await training;
    assert.equal(second.body['version'], 'v000002');

    const rolled = await kindred.client.post<{ active: string; previous: string }>(
      '/v1/models/rollback',
      {},
    );
    assert.equal(rolled.status, 200);
    assert.deepEqual(rolled.body, { active: 'v000001', previous: 'v000002' });
    assert.equal(kindred.models.serving.activeVersion, 'v000001');
    const listed = await get<{ active: string }>('/v1/models');
    assert.equal(listed.body.active, 'v000001');

    const forward = await kindred.client.post<{ active: string }>('/v1/models/rollback', {
      version: 'v000002',
    });
    assert.equal(forward.body.active, 'v000002');
    const unknown = await kindred.client.post<ErrorAnswer>('/v1/models/rollback', {
      version: 'v000099',
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'MODEL_NOT_FOUND');

    const detail = await get<Record<string, unknown>>('/v1/models/v000001');
    assert.equal(detail.status, 200);
    assert.equal(detail.body['version'], 'v000001');
    assert.ok(detail.body['pipeline']);
    const missing = await get<ErrorAnswer>('/v1/models/v000042');
    assert.equal(missing.body.error.code, 'MODEL_NOT_FOUND');
  });
});
