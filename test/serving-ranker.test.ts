// The learned ranker end to end: impressions logged by serving, clicks attributed to them
// through `context.recommendationId`, the ranker trained once enough exist, and scenarios
// that ask for it scored by it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE } from './support/planted-data.js';

interface Answer {
  recommendationId: string;
  items: { id: string; score: number; explain?: { score: { ranker?: number } } }[];
  scorer: string;
}

let kindred: ModelServer;
before(async () => {
  kindred = await startModelServer({
    KINDRED_TRAINING_PIPELINE: TEST_PIPELINE,
    KINDRED_SERVING_RANKER_MIN_IMPRESSIONS: '100',
    KINDRED_SERVING_RANKER_MIN_CLICKS: '10',
  });
  await kindred.record(plantedInteractions().events);
  const trained = await kindred.client.post('/v1/models/train?wait=true', {});
  assert.equal(trained.status, 200, trained.text);
  const scenario = await kindred.client.put('/v1/scenarios/learned', {
    sources: [
      { name: 'cf', budget: 50, weight: 1 },
      { name: 'trending', budget: 20, weight: 0.3 },
    ],
    fallback: ['trending'],
    ranker: true,
  });
  assert.equal(scenario.status, 200, scenario.text);
});
after(() => kindred.close());

test('clicks attributed to logged impressions train the ranker, which then scores', async () => {
  const before = await kindred.client.get<Answer>(
    '/v1/users/u1-1/recommendations?k=5&scenario=learned',
  );
  assert.equal(before.body.scorer, 'blend', 'too few impressions yet: the blend scores');
  assert.equal(kindred.models.recommendations.rankerStatus().trained, false);

  // Visitors shown a list click its third item: a position the blend does not favour.
  for (let block = 0; block < 6; block++) {
    for (let u = 0; u < 6; u++) {
      const user = `u${block}-${u}`;
      const shown = await kindred.client.get<Answer>(
        `/v1/users/${user}/recommendations?k=5&scenario=learned`,
      );
      assert.equal(shown.status, 200, shown.text);
      const clicked = await kindred.client.post('/v1/events', {
        type: 'click',
        userId: user,
        itemId: shown.body.items[2]!.id,
        context: { recommendationId: shown.body.recommendationId },
      });
      assert.equal(clicked.status, 201, clicked.text);
    }
  }
  await new Promise((resolve) => setImmediate(resolve));
  const status = kindred.models.recommendations.rankerStatus();
  assert.ok(status.impressions >= 180, `${status.impressions} impressions`);
  assert.equal(status.clicks, 36);
  assert.equal(status.trained, true);

  const after = await kindred.client.get<Answer>(
    '/v1/users/u2-9/recommendations?k=5&scenario=learned&explain=true',
  );
  assert.equal(after.body.scorer, 'ranker');
  for (const item of after.body.items) {
    const ranker = item.explain!.score.ranker!;
    assert.ok(ranker > 0 && ranker < 1, `${item.id}: a click probability`);
  }
  const plain = await kindred.client.get<Answer>('/v1/users/u2-9/recommendations?k=5');
  assert.equal(plain.body.scorer, 'blend', 'the default scenario does not ask for the ranker');
});
