// The search index survives restarts: restored from the read-models snapshot (not
// rebuilt), equal to a full replay of the log (what `kindred replay` does), and still
// taking writes after the restore.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { buildHttpServer } from '../src/http/server.js';
import { openEngine } from '../src/roles/open-engine.js';
import type { Engine } from '../src/app/engine.js';
import { call } from './support/in-process.js';
import { makeDataDir } from './support/server-process.js';

const dataDir = makeDataDir('kindred-search-snapshot-');
after(() => dataDir.remove());

const config = loadConfig({
  env: {
    KINDRED_DATA_DIR: dataDir.path,
    KINDRED_MAX_EVENT_LOOP_DELAY_MS: '0',
    KINDRED_SEARCH_FACETS: 'year',
    KINDRED_SEARCH_SORTABLE: 'year',
    KINDRED_STORAGE_SYNCHRONOUS: 'normal',
  },
});

/** Starts an engine on the data directory; `messages` collects its log lines. */
async function open(fromScratch = false): Promise<{ engine: Engine; messages: string[] }> {
  const messages: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  const engine = openEngine(config, pino({ level: 'info' }, sink));
  await engine.start({ fromScratch });
  return { engine, messages };
}

async function answer(engine: Engine, query: string): Promise<unknown> {
  const app = await buildHttpServer(
    { engine, config, ready: () => true },
    pino({ level: 'silent' }),
  );
  try {
    const response = await call(app, 'GET', `/v1/search?${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  } finally {
    await app.close();
  }
}

const WRITE = { source: 'test' };
// Recency moves scores as time passes; without it answers are comparable exactly.
const QUERIES = ['q=stroy%20&facets=categories,year', 'q=&sort=year:desc&k=50', 'q=wars'].map(
  (query) => `${query}&blend=recency:0`,
);

test('snapshot + restart keeps the index; a full replay builds the same one', async () => {
  const first = await open();
  const items = [];
  for (let i = 0; i < 300; i++)
    items.push({
      id: `movie-${i}`,
      title: `${['Toy Story', 'Star Wars', 'Heat', 'Alien'][i % 4]} ${i}`,
      categories: [['Animation', 'Action', 'Crime', 'Horror'][i % 4]!],
      attributes: { year: 1950 + (i % 70) },
    });
  const written = await first.engine.writes.upsertItems(items, WRITE);
  assert.equal(written.length, 300);
  await first.engine.writes.deleteItem('movie-1', WRITE);
  const before = await Promise.all(QUERIES.map((q) => answer(first.engine, q)));
  const checksum = first.engine.readModels.checksum();
  await first.engine.close();

  const restarted = await open();
  assert.ok(restarted.messages.includes('snapshot restored'), restarted.messages.join(' | '));
  assert.equal(restarted.engine.search.size, 299);
  assert.equal(restarted.engine.readModels.checksum(), checksum);
  assert.deepEqual(await Promise.all(QUERIES.map((q) => answer(restarted.engine, q))), before);

  // Writes after a restore land beside the restored segment.
  await restarted.engine.writes.upsertItems([{ id: 'zeppelin', title: 'Zeppelin Story' }], WRITE);
  const after = (await answer(restarted.engine, 'q=zeppelin%20stor')) as { hits: { id: string }[] };
  assert.deepEqual(
    after.hits.map((hit) => hit.id),
    ['zeppelin'],
  );
  const checksumAfterWrite = restarted.engine.readModels.checksum();
  await restarted.engine.close({ snapshot: false });

  const replayed = await open(true);
  assert.ok(!replayed.messages.includes('snapshot restored'));
  assert.equal(replayed.engine.readModels.checksum(), checksumAfterWrite);
  const replayedAnswer = (await answer(replayed.engine, 'q=zeppelin%20stor')) as {
    hits: { id: string }[];
  };
  assert.deepEqual(
    replayedAnswer.hits.map((hit) => hit.id),
    ['zeppelin'],
  );
  await replayed.engine.close({ snapshot: false });
});
