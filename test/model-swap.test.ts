// Swapping models under load fails no request: while clients ask for recommendations,
// similar items and trending and record interactions without pause, models are trained,
// swapped in and rolled back several times.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE } from './support/planted-data.js';

let kindred: ModelServer;
before(async () => {
  kindred = await startModelServer({
    KINDRED_TRAINING_PIPELINE: TEST_PIPELINE,
    // This test measures swaps, not the gateway's load shedding: let every request in.
    KINDRED_MAX_EVENT_LOOP_DELAY_MS: '0',
    KINDRED_CONCURRENCY_READ: '0',
    KINDRED_CONCURRENCY_WRITE: '0',
    KINDRED_CONCURRENCY_ADMIN: '0',
  });
  await kindred.record(plantedInteractions().events);
  await kindred.models.trainer.train('api');
});
after(() => kindred.close());

test('trainings, swaps and rollbacks under concurrent load fail no request', async (t) => {
  const failures: string[] = [];
  const counts = { requests: 0, writes: 0 };
  const versionsSeen = new Set<string>();
  let running = true;

  const reader = async (worker: number): Promise<void> => {
    let i = 0;
    while (running) {
      i++;
      const path =
        i % 4 === 0
          ? `/v1/items/i${i % 6}-${i % 40}/similar?k=10`
          : i % 4 === 1
            ? '/v1/trending?k=10'
            : i % 4 === 2
              ? `/v1/users/u${worker % 6}-${i % 30}/recommendations?k=10`
              : `/v1/users/live${worker}/recommendations?k=10`;
      try {
        const response = await kindred.client.get<{ recommendationId?: string; items?: unknown[] }>(
          path,
        );
        counts.requests++;
        if (
          response.status !== 200 ||
          typeof response.body.recommendationId !== 'string' ||
          !Array.isArray(response.body.items) ||
          response.body.items.length === 0
        )
          failures.push(`${path} -> ${response.status} ${response.text.slice(0, 200)}`);
      } catch (error) {
        failures.push(`${path} -> ${(error as Error).message}`);
      }
      const version = kindred.models.serving.activeVersion;
      if (version !== null) versionsSeen.add(version);
    }
  };
  const writer = async (): Promise<void> => {
    let i = 0;
    while (running) {
      i++;
      try {
        const response = await kindred.client.post('/v1/events', {
          type: 'click',
          userId: `live${i % 16}`,
          itemId: `i${i % 6}-${i % 40}`,
        });
        counts.writes++;
        if (response.status !== 201 && response.status !== 200)
          failures.push(`POST /v1/events -> ${response.status}`);
      } catch (error) {
        failures.push(`POST /v1/events -> ${(error as Error).message}`);
      }
    }
  };

  const load = [...Array.from({ length: 16 }, (_, w) => reader(w)), writer(), writer()];
  const steps: string[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      const trained = await kindred.client.post<{ version: string }>(
        '/v1/models/train?wait=true',
        {},
      );
      assert.equal(trained.status, 200, trained.text);
      steps.push(`trained ${trained.body.version}`);
      const back = await kindred.client.post<{ active: string }>('/v1/models/rollback', {});
      assert.equal(back.status, 200, back.text);
      steps.push(`rolled back to ${back.body.active}`);
      const forward = await kindred.client.post<{ active: string }>('/v1/models/rollback', {
        version: trained.body.version,
      });
      assert.equal(forward.status, 200, forward.text);
      steps.push(`forward to ${forward.body.active}`);
    }
  } finally {
    running = false;
    await Promise.all(load);
  }
  t.diagnostic(
    `${counts.requests} reads and ${counts.writes} writes during ${steps.length} swaps (${steps.join(', ')}); ` +
      `versions seen serving: ${[...versionsSeen].sort().join(', ')}; failures: ${failures.length}`,
  );
  assert.deepEqual(failures.slice(0, 10), []);
  assert.ok(counts.requests > 200, `${counts.requests} requests`);
  assert.ok(versionsSeen.size >= 4, `served ${[...versionsSeen].join(', ')}`);
  assert.equal(kindred.models.serving.activeVersion, 'v000004');
});
