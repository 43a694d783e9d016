// The whole engine on PostgreSQL (event log and state store), as a user would run it:
// `kindred import` and `kindred train` against postgres:// URLs, `kindred serve`, a write
// over HTTP read back at once, then a restart that finds everything in the database.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshSchema, postgresUnavailable } from './support/postgres.js';
import { ServerProcess, makeDataDir, runKindred } from './support/server-process.js';

const unavailable = await postgresUnavailable();

test(
  'the engine on PostgreSQL: import, train, serve, write and read back, restart',
  {
    skip: unavailable ?? false,
    timeout: 300_000,
  },
  async () => {
    const schema = freshSchema('kt_engine');
    const dir = makeDataDir('kindred-postgres-');
    after(async () => {
      dir.remove();
      await schema.drop();
    });
    const env = { KINDRED_EVENT_LOG: schema.url, KINDRED_STATE_STORE: schema.url };
    const rows = ['user_id,item_id,value,timestamp'];
    for (let user = 0; user < 60; user++)
      for (let n = 0; n < 12; n++)
        rows.push(
          `u${user},i${(user * 7 + n * 3) % 80},${1 + ((user + n) % 5)},${1_600_000_000 + n}`,
        );
    const csv = join(dir.path, 'ratings.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const data = join(dir.path, 'data');

    const imported = await runKindred(
      ['import', 'interactions', csv, '--type', 'rating', '--data', data],
      { env },
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(imported.stdout.trim().split('\n').at(-1)!).imported, 720);
    const again = await runKindred(
      ['import', 'interactions', csv, '--type', 'rating', '--data', data],
      { env },
    );
    assert.equal(JSON.parse(again.stdout.trim().split('\n').at(-1)!).duplicates, 720);
    const trained = await runKindred(['train', '--budget', '5', '--data', data], {
      env,
      timeoutMs: 120_000,
    });
    assert.equal(trained.code, 0, trained.stderr);

    let written = 0;
    let server = await ServerProcess.start({ dataDir: data, env });
    try {
      const list = await fetch(`${server.url}/v1/users/u1/recommendations?k=5`);
      assert.equal(list.status, 200);
      const body = (await list.json()) as { items: { id: string }[]; model: string };
      assert.equal(body.items.length, 5);
      assert.equal(body.model, 'v000001');
      const posted = await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'click', userId: 'newcomer', itemId: 'i3' }),
      });
      assert.equal(posted.status, 201, await posted.clone().text());
      const { offset } = (await posted.json()) as { offset: number };
      written = offset;
      const history = (await (
        await fetch(`${server.url}/v1/users/newcomer/interactions`)
      ).json()) as {
        interactions: { itemId: string }[];
      };
      assert.deepEqual(
        history.interactions.map((entry) => entry.itemId),
        ['i3'],
      );
    } finally {
      await server.stop();
    }
    // A restart reads the log and the model back from the database.
    server = await ServerProcess.start({ dataDir: data, env });
    try {
      const history = (await (
        await fetch(`${server.url}/v1/users/newcomer/interactions`)
      ).json()) as {
        interactions: { itemId: string }[];
      };
      assert.deepEqual(
        history.interactions.map((entry) => entry.itemId),
        ['i3'],
      );
      const status = (await (await fetch(`${server.url}/v1/admin/status`)).json()) as Record<
        string,
        unknown
      >;
      assert.ok(written > 720);
      // The served list's impressions come after the write.
      assert.ok((status['lastOffset'] as number) >= written, JSON.stringify(status));
      assert.equal(status['interactions'], 721);
      assert.equal(status['lag'], 0);
    } finally {
      await server.stop();
    }
  },
);
