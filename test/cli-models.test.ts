// `kindred train`, `kindred models` and `kindred eval` against a real data directory, and
// a running server that swaps to what the CLI trains (through the model.trained event).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDataDir, runKindred, ServerProcess, JsonClient } from './support/server-process.js';
import { plantedInteractions } from './support/planted-data.js';

let dir: { path: string; remove: () => void };
let csv: string;
before(async () => {
  dir = makeDataDir('kindred-models-');
  csv = join(dir.path, 'clicks.csv');
  const { events } = plantedInteractions({ blocks: 4, usersPerBlock: 25, itemsPerBlock: 30 });
  writeFileSync(
    csv,
    [
      'user_id,item_id,type,timestamp',
      ...events.map((e) => `${e.userId},${e.itemId},${e.type},${e.timestamp}`),
    ].join('\n'),
  );
  const imported = await runKindred([
    'import',
    'interactions',
    csv,
    '--data',
    join(dir.path, 'data'),
  ]);
  assert.equal(imported.code, 0, imported.stderr);
});
after(() => dir.remove());

const data = () => join(dir.path, 'data');

test(
  'kindred train runs the search, stores a version and prints its metrics',
  { timeout: 120_000 },
  async () => {
    const result = await runKindred(['train', '--data', data(), '--budget', '4'], {
      timeoutMs: 110_000,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^model v000001 trained in [\d.]+ s on \d+ interactions/m);
    assert.match(result.stdout, /^pipeline: /m);
    assert.match(
      result.stdout,
      /^search: \d+ trials in [\d.]+ s \(budget 4 s\), validation nDCG@10 0\.\d+/m,
    );
    assert.match(result.stdout, /^ {2}nDCG@10 0\.\d+ {2}precision@10/m);
  },
);

test(
  'kindred models lists, shows and rolls back; a running server follows',
  { timeout: 120_000 },
  async () => {
    const server = await ServerProcess.start({
      dataDir: data(),
      env: { KINDRED_TRAINING_ON_START: 'false', KINDRED_LOG_LEVEL: 'info' },
    });
    const client = new JsonClient(server.url);
    try {
      await server.waitForLog(
        (line) => line.msg === 'model serving' && line['version'] === 'v000001',
      );

      const second = await runKindred(['train', '--data', data(), '--budget', '3', '--json'], {
        timeoutMs: 110_000,
      });
      assert.equal(second.code, 0, second.stderr);
      const record = JSON.parse(second.stdout) as {
        version: string;
        search: { trials: unknown[] };
      };
      assert.equal(record.version, 'v000002');
      assert.ok(record.search.trials.length > 0);
      // The server sees the model.trained event the CLI appended and swaps to the version.
      await server.waitForLog(
        (line) => line.msg === 'model serving' && line['version'] === 'v000002',
        20_000,
      );

      const list = await runKindred(['models', '--data', data()]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^\* v000002 /m);
      assert.match(list.stdout, /^ {2}v000001 /m);

      const show = await runKindred(['models', 'show', 'v000001', '--data', data(), '--json']);
      assert.equal((JSON.parse(show.stdout) as { version: string }).version, 'v000001');

      const rollback = await runKindred(['models', 'rollback', '--data', data()]);
      assert.equal(rollback.code, 0, rollback.stderr);
      assert.deepEqual(JSON.parse(rollback.stdout), { active: 'v000001', previous: 'v000002' });
      await server.waitForLog(
        (line) =>
          line.msg === 'model serving' &&
          line['version'] === 'v000001' &&
          line['previous'] === 'v000002',
        20_000,
      );
      const models = await client.get<{ active: string }>('/v1/models');
      assert.equal(models.body.active, 'v000001');

      const missing = await runKindred(['models', 'rollback', 'v000009', '--data', data()]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no model version "v000009"/);
    } finally {
      client.close();
      await server.stop();
    }
  },
);

test(
  'kindred eval prints every model and the default pipeline side by side',
  { timeout: 120_000 },
  async () => {
    const table = await runKindred(
      [
        'eval',
        '--ratings',
        csv,
        '--type',
        'click',
        '--budget',
        '3',
        '--models',
        'popularity,item-knn,ials',
      ],
      { timeoutMs: 110_000 },
    );
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /\| model +\| nDCG@10 \| Precision@10 \| Recall@10 \| MAP@10 \| +MRR \| HitRate@10 \| Coverage \| Novelty \| fit s \|/,
    );
    for (const name of ['most-popular', 'item-kNN', 'iALS', 'default pipeline'])
      assert.match(table.stdout, new RegExp(`^\\| ${name} +\\| +0\\.\\d{4} \\|`, 'm'), name);

    const json = await runKindred(
      [
        'eval',
        '--ratings',
        csv,
        '--type',
        'click',
        '--protocol',
        'leave-last',
        '--no-default',
        '--models',
        'popularity',
        '--json',
      ],
      { timeoutMs: 110_000 },
    );
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as {
      protocol: string;
      rows: { name: string; metrics: { ndcg: number } }[];
    };
    assert.equal(result.protocol, 'per-user temporal leave-last-1');
    assert.deepEqual(
      result.rows.map((r) => r.name),
      ['most-popular'],
    );

    const bad = await runKindred(['eval', '--ratings', join(dir.path, 'missing.csv')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot read/);
  },
);
