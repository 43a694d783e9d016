// The served path gives what `kindred eval` measures. The MovieLens sample is split as
// eval splits it (stratified per user, 75/25, seed 42); the training part is imported
// over HTTP, the pipeline the automatic search once chose (saved by `kindred eval
// --save-pipeline test/fixtures/movielens-pipeline.json`) is trained by the server, and
// every test user's `GET /v1/users/{id}/recommendations?k=10` is scored: the figure must
// match the offline evaluation of the same pipeline on the same split, and the figure
// eval printed for its default pipeline, within 0.005. This checks that the served path
// computes what the offline code does for one pipeline; what a user gets with every
// setting at its default is test/served-first-request.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InteractionTypes } from '../src/core/domain/interaction.js';
import { evaluateRanking } from '../src/core/evaluation/metrics.js';
import { benchmarkProtocol } from '../src/core/recommend/model-comparison.js';
import { LogHistories, relevantFromRows, splitRows } from '../src/core/recommend/offline.js';
import { parsePipelineConfig, type PipelineConfig } from '../src/core/recommend/blend-config.js';
import { readRatingsFile, type RatingsFile } from '../src/cli/ratings-file.js';
import { ialsThreadPool } from '../src/app/training/ials-thread-pool.js';
import { repositoryFile } from './support/repository-file.js';
import { startModelServer, type ModelServer } from './support/model-server.js';

const PROTOCOL = { kind: 'random', ratio: 0.75, seed: 42 } as const;
const K = 10;
const fixture = JSON.parse(
  readFileSync(repositoryFile('test/fixtures/movielens-pipeline.json'), 'utf8'),
) as {
  pipeline: unknown;
  metrics: { ndcg: number };
};
const pipeline: PipelineConfig = parsePipelineConfig(fixture.pipeline);
const types = new InteractionTypes();

let data: RatingsFile;
let kindred: ModelServer;
before(async () => {
  data = readRatingsFile(
    repositoryFile('datasets/movielens-small/ratings.csv.gz'),
    types,
    'rating',
  );
  // Shedding stays on (its default): 4 clients that wait for their answers are never shed.
  kindred = await startModelServer({ KINDRED_TRAINING_PIPELINE: JSON.stringify(pipeline) });
});
after(() => kindred?.close());

test(
  'recommendations served over HTTP score what eval measures',
  { timeout: 300_000 },
  async (t) => {
    const started = performance.now();
    const all = Int32Array.from({ length: data.log.users.length }, (_, row) => row);
    const { train, test: held } = splitRows(data.log, all, PROTOCOL);
    const { log } = data;

    // 1. Import the training part, in file order, through the HTTP API.
    const events = Array.from(train, (row) => ({
      type: 'rating',
      userId: data.userIds[log.users[row]!]!,
      itemId: data.itemIds[log.items[row]!]!,
      value: log.values[row]!,
      timestamp: log.times[row]!,
    }));
    for (let start = 0; start < events.length; start += 10_000) {
      const response = await kindred.client.post('/v1/events', {
        events: events.slice(start, start + 10_000),
      });
      assert.ok(response.status === 200 || response.status === 201, response.text.slice(0, 300));
    }
    const imported = performance.now();

    // 2. Train (the pinned pipeline, no search) and serve.
    const trained = await kindred.client.post<{ version: string; description: string }>(
      '/v1/models/train?wait=true',
      {},
    );
    assert.equal(trained.status, 200, trained.text.slice(0, 300));
    const trainedAt = performance.now();
    // The default scenario's ranking with stage budgets no scheduling hiccup can overrun:
    // this test measures the model, not the degraded fallback of a busy machine.
    const scenario = await kindred.client.put('/v1/scenarios/accuracy', {
      sources: [{ name: 'cf', budget: 100, weight: 1 }],
      fallback: ['trending'],
      budgets: { retrieveMs: 60_000, filterMs: 60_000, scoreMs: 60_000, orderMs: 60_000 },
    });
    assert.ok(scenario.status === 200 || scenario.status === 201, scenario.text.slice(0, 300));

    // 3. Ask for every test user's recommendations over HTTP.
    const training = new LogHistories(log, train, data.users);
    const relevant = relevantFromRows(log, types, held, training);
    const itemIndex = new Map(data.itemIds.map((id, index) => [id, index]));
    const lists = new Map<number, Int32Array>();
    const users = [...relevant.keys()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < users.length) {
        const user = users[next++]!;
        const response = await kindred.client.get<{ items: { id: string }[]; degraded?: unknown }>(
          `/v1/users/${encodeURIComponent(data.userIds[user]!)}/recommendations?k=${K}&scenario=accuracy`,
        );
        assert.equal(response.status, 200, response.text.slice(0, 300));
        assert.equal(response.body.degraded, undefined, response.text.slice(0, 300));
        lists.set(
          user,
          Int32Array.from(response.body.items, (item) => itemIndex.get(item.id)!),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const served = evaluateRanking(lists, relevant, K);
    const servedAt = performance.now();

    // 4. The offline figure of the same pipeline on the same split.
    const offline = await benchmarkProtocol(
      log,
      types,
      { users: data.users, items: data.items },
      PROTOCOL,
      {
        k: K,
        budgetSeconds: 0,
        threads: ialsThreadPool(2),
        models: [],
        pipeline,
      },
    );
    const offlineNdcg = offline.rows[0]!.metrics.ndcg;
    const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
    t.diagnostic(
      `served nDCG@${K} ${served.ndcg.toFixed(4)} over ${served.users} users; offline (same code, same split) ` +
        `${offlineNdcg.toFixed(4)}; kindred eval's default pipeline ${fixture.metrics.ndcg.toFixed(4)}; ` +
        `pipeline ${trained.body.description}; import ${seconds(started, imported)} s, train ${seconds(imported, trainedAt)} s, ` +
        `${users.length} requests ${seconds(trainedAt, servedAt)} s`,
    );
    assert.equal(served.users, relevant.size);
    assert.ok(
      Math.abs(served.ndcg - offlineNdcg) <= 0.005,
      `served ${served.ndcg} vs offline ${offlineNdcg}`,
    );
    assert.ok(
      Math.abs(served.ndcg - fixture.metrics.ndcg) <= 0.005,
      `served ${served.ndcg} vs eval's ${fixture.metrics.ndcg}`,
    );
  },
);
