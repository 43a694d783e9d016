// What a new user meets, with every setting at its default: the MovieLens sample split as
// `kindred eval` splits it (stratified per user, 75/25, seed 42), the training side
// imported with `kindred import interactions FILE --type rating`, trained with `kindred
// train` (the automatic search and its default budget), then `kindred serve`. Right after
// it is ready, 8 concurrent keep-alive clients ask for every test user's default-scenario
// recommendations: every answer is a 200 (nothing shed, nothing degraded) and the served
// nDCG@10 is at least 0.39 (`kindred eval`'s default pipeline scores 0.3914 on this split).
// Then a model is trained through the API while the server serves (`wait=true`, beyond the
// gateway's 15 s handler timeout) and swapped in, and the same clients ask again at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InteractionTypes } from '../src/core/domain/interaction.js';
import { evaluateRanking } from '../src/core/evaluation/metrics.js';
import { LogHistories, relevantFromRows, splitRows } from '../src/core/recommend/offline.js';
import { readRatingsFile } from '../src/cli/ratings-file.js';
import { percentile } from './support/load-generator.js';
import { repositoryFile } from './support/repository-file.js';
import { ServerProcess, makeDataDir, runKindred } from './support/server-process.js';

const K = 10;
const CLIENTS = 8;

interface Pass {
  readonly statuses: Map<number, number>;
  readonly degraded: number;
  readonly ndcg: number;
  readonly users: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly seconds: number;
}

const types = new InteractionTypes();
const data = readRatingsFile(
  repositoryFile('datasets/movielens-small/ratings.csv.gz'),
  types,
  'rating',
);
const everyRow = Int32Array.from({ length: data.log.users.length }, (_, row) => row);
const split = splitRows(data.log, everyRow, { kind: 'random', ratio: 0.75, seed: 42 });
const relevant = relevantFromRows(
  data.log,
  types,
  split.test,
  new LogHistories(data.log, split.train, data.users),
);
const itemIndex = new Map(data.itemIds.map((id, index) => [id, index]));

const dir = makeDataDir('kindred-served-');
let server: ServerProcess | undefined;
before(() => {
  const lines = ['user_id,item_id,value,timestamp'];
  const { log } = data;
  for (const row of split.train)
    lines.push(
      `${data.userIds[log.users[row]!]},${data.itemIds[log.items[row]!]},${log.values[row]},${log.times[row]}`,
    );
  writeFileSync(join(dir.path, 'training-side.csv'), `${lines.join('\n')}\n`);
});
after(async () => {
  await server?.stop().catch(() => undefined);
  dir.remove();
});

/** Every test user's recommendations, asked by CLIENTS keep-alive clients at once. */
async function askEveryUser(base: string): Promise<Pass> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const users = [...relevant.keys()];
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const lists = new Map<number, Int32Array>();
  let degraded = 0;
  let next = 0;
  const started = performance.now();
  const get = (path: string): Promise<{ status: number; body: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const sent = performance.now();
      http
        .get(`${base}${path}`, { agent }, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body, ms: performance.now() - sent }),
          );
        })
        .on('error', reject);
    });
  const client = async (): Promise<void> => {
    while (next < users.length) {
      const user = users[next++]!;
      const answer = await get(
        `/v1/users/${encodeURIComponent(data.userIds[user]!)}/recommendations?k=${K}`,
      );
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      latencies.push(answer.ms);
      if (answer.status !== 200) continue;
      const body = JSON.parse(answer.body) as { items: { id: string }[]; degraded?: unknown };
      if (body.degraded !== undefined) degraded++;
      lists.set(
        user,
        Int32Array.from(body.items, (item) => itemIndex.get(item.id) ?? -1),
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: CLIENTS }, client));
  } finally {
    agent.destroy();
  }
  const metrics = evaluateRanking(lists, relevant, K);
  latencies.sort((a, b) => a - b);
  return {
    statuses,
    degraded,
    ndcg: metrics.ndcg,
    users: metrics.users,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
}

const describe = (pass: Pass): string =>
  `statuses ${JSON.stringify(Object.fromEntries(pass.statuses))}, degraded ${pass.degraded}; ` +
  `nDCG@${K} ${pass.ndcg.toFixed(4)} over ${pass.users} users; ` +
  `latency p50 ${pass.p50.toFixed(2)} ms, p99 ${pass.p99.toFixed(2)} ms, max ${pass.max.toFixed(2)} ms; ` +
  `${pass.seconds.toFixed(2)} s`;

test(
  'defaults end to end: import, train, serve; right after ready 8 clients get every answer, nDCG@10 >= 0.39',
  { timeout: 900_000 },
  async (t) => {
    const imported = await runKindred(
      [
        'import',
        'interactions',
        join(dir.path, 'training-side.csv'),
        '--type',
        'rating',
        '--data',
        join(dir.path, 'data'),
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(imported.code, 0, imported.stderr);
    const trained = await runKindred(['train', '--data', join(dir.path, 'data')], {
      timeoutMs: 600_000,
    });
    assert.equal(trained.code, 0, trained.stderr);
    t.diagnostic(trained.stdout.split('\n').slice(0, 2).join(' | '));

    server = await ServerProcess.start({ dataDir: join(dir.path, 'data') });
    const ready = await fetch(`${server.url}/health/ready`);
    assert.equal(ready.status, 200);
    const first = await askEveryUser(server.url);
    t.diagnostic(`right after ready: ${describe(first)}`);
    assert.deepEqual([...first.statuses.keys()], [200], describe(first));
    assert.equal(first.degraded, 0);
    assert.equal(first.users, relevant.size);
    assert.ok(first.ndcg >= 0.39, `served nDCG@${K} ${first.ndcg}`);
  },
);

test(
  'during a training and right after its model swaps in, 8 clients still get every answer',
  { timeout: 900_000 },
  async (t) => {
    assert.ok(server !== undefined, 'the server of the first test');
    const base = server.url;
    const before = server.logs.length;
    // The clients keep asking while the model trains and swaps in.
    let training = true;
    const during: Pass[] = [];
    const asking = (async () => {
      while (training) during.push(await askEveryUser(base));
    })();
    // Beyond the gateway's handler timeout (15 s): the wait has its own limit.
    const started = performance.now();
    const trained = await fetch(`${base}/v1/models/train?wait=true&budgetSeconds=20`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const seconds = (performance.now() - started) / 1000;
    training = false;
    await asking;
    const record = (await trained.json()) as { version?: string; active?: boolean };
    assert.equal(trained.status, 200, JSON.stringify(record));
    assert.equal(record.active, true);
    t.diagnostic(
      `trained ${record.version} through the API in ${seconds.toFixed(1)} s; meanwhile ${during.length} passes`,
    );
    for (const pass of during) {
      t.diagnostic(`during the training: ${describe(pass)}`);
      assert.deepEqual([...pass.statuses.keys()], [200], describe(pass));
    }
    assert.ok(
      server.logs
        .slice(before)
        .some((line) => line.msg === 'model serving' && line['version'] === record.version),
    );
    const afterSwap = await askEveryUser(base);
    t.diagnostic(`right after the swap: ${describe(afterSwap)}`);
    assert.deepEqual([...afterSwap.statuses.keys()], [200], describe(afterSwap));
    assert.equal(afterSwap.degraded, 0);
  },
);
