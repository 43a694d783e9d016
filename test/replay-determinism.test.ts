// Replay determinism: whatever path built the read models (live writes, restore from a
// snapshot, full replay of the log) they must hash the same as `kindred replay --dry-run`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  JsonClient,
  ServerProcess,
  makeDataDir,
  replayDryRun,
  type AdminStatus,
  type JsonResponse,
} from './support/server-process.js';

const dataDir = makeDataDir('kindred-replay-');
const servers: ServerProcess[] = [];
const clients: JsonClient[] = [];

after(async () => {
  for (const client of clients) client.close();
  for (const server of servers) {
    server.kill('SIGKILL');
    await server.waitForExit(5_000).catch(() => undefined);
  }
  dataDir.remove();
});

async function start(): Promise<{ server: ServerProcess; client: JsonClient }> {
  const server = await ServerProcess.start({
    dataDir: dataDir.path,
    env: { KINDRED_LOG_LEVEL: 'info' },
  });
  servers.push(server);
  const client = new JsonClient(server.url);
  clients.push(client);
  return { server, client };
}

function expectStatus(response: JsonResponse, status: number, what: string): void {
  assert.equal(response.status, status, `${what}: ${response.text.slice(0, 400)}`);
}

async function status(client: JsonClient): Promise<AdminStatus> {
  const response = await client.get<AdminStatus>('/v1/admin/status?checksum=true');
  expectStatus(response, 200, 'status');
  return response.body;
}

/** The server's checksum must be the checksum of a from-scratch replay of its log. */
async function assertMatchesReplay(client: JsonClient, label: string): Promise<AdminStatus> {
  const live = await status(client);
  const replay = await replayDryRun(dataDir.path);
  assert.equal(live.lag, 0, `${label}: lag`);
  assert.equal(live.checkpoint, live.lastOffset, `${label}: checkpoint`);
  assert.equal(replay.events, live.checkpoint, `${label}: replayed events`);
  assert.deepEqual(
    { items: replay.items, users: replay.users, interactions: replay.interactions },
    { items: live.items, users: live.users, interactions: live.interactions },
    `${label}: sizes`,
  );
  assert.equal(live.checksum, replay.checksum, `${label}: checksum vs kindred replay --dry-run`);
  return live;
}

let eventCounter = 0;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const TYPES = [
  'view',
  'click',
  'add-to-cart',
  'purchase',
  'like',
  'rating',
  'dislike',
  'not-interested',
  'remove-from-cart',
];

/** A deterministic-looking but varied batch of interactions. */
function interactions(
  count: number,
  users: number,
  items: number,
  salt: number,
): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    eventCounter++;
    const type = TYPES[(i * 7 + salt) % TYPES.length] as string;
    const event: Record<string, unknown> = {
      id: `det-${eventCounter}`,
      type,
      userId: `u${(i * 13 + salt) % users}`,
      itemId: `i${(i * 31 + salt * 3) % items}`,
    };
    if (type === 'rating') event['value'] = 1 + ((i + salt) % 5);
    else if (i % 11 === 0) event['value'] = (i % 7) / 2;
    // Timestamps as unix seconds, fractional seconds, ISO strings, or none (server time).
    if (i % 4 === 0) event['timestamp'] = nowSeconds() - 86_400 * (i % 40) - i;
    else if (i % 4 === 1)
      event['timestamp'] = new Date(Date.now() - 3_600_000 * (i % 100)).toISOString();
    else if (i % 4 === 2) event['timestamp'] = nowSeconds() - i - 0.25;
    if (i % 9 === 0) event['context'] = { scenario: 'home', sessionId: `s${i % 5}` };
    if (i % 50 === 49) delete event['id']; // server-made id
    return event;
  });
}

async function mixedWorkload(client: JsonClient, round: number): Promise<void> {
  const p = `r${round}-`;
  // Catalog.
  const items = Array.from({ length: 120 }, (_, i) => ({
    id: `i${i}`,
    title: `${p}Item ${i}`,
    text: { description: `A ${i % 3 === 0 ? 'red' : 'blue'} thing, number ${i}` },
    categories: [`c${i % 7}`, `c${i % 3}`],
    tags: i % 2 === 0 ? ['even'] : ['odd', 'prime?'],
    attributes: { price: 10 + i, sizes: ['s', 'm'], new: i % 5 === 0 },
    available: i % 10 !== 0,
    hidden: i % 33 === 0,
  }));
  expectStatus(await client.post('/v1/items/batch', { items }), 200, 'items batch');
  expectStatus(
    await client.post('/v1/items', { id: `${p}single`, title: 'Single' }),
    200,
    'item post',
  );
  expectStatus(
    await client.put(`/v1/items/${p}put`, { title: 'Put', categories: ['x'] }),
    200,
    'item put',
  );

  // Users.
  const users = Array.from({ length: 40 }, (_, i) => ({
    id: `u${i}`,
    attributes: { age: 20 + i, country: i % 2 ? 'fr' : 'de' },
  }));
  expectStatus(await client.post('/v1/users/batch', { users }), 200, 'users batch');
  expectStatus(
    await client.post('/v1/users', { id: `${p}user`, attributes: { vip: true } }),
    200,
    'user post',
  );
  expectStatus(
    await client.put(`/v1/users/${p}put-user`, { attributes: { a: 1 } }),
    200,
    'user put',
  );

  // Interactions, some naming users and items nobody created yet (they get created).
  for (let batch = 0; batch < 4; batch++) {
    const events = interactions(700, 60, 150, round * 10 + batch);
    const answer = await client.post<{ accepted: number; duplicates: number }>('/v1/events', {
      events,
    });
    expectStatus(answer, 200, 'events batch');
    assert.equal(answer.body.accepted, events.length);
  }
  // Duplicates: within a batch and of earlier ids.
  const again = await client.post<{ accepted: number; duplicates: number }>('/v1/events', {
    events: [
      { id: 'det-1', type: 'click', userId: 'u1', itemId: 'i1' },
      { id: `${p}dup`, type: 'purchase', userId: 'u2', itemId: 'i2', value: 3 },
      { id: `${p}dup`, type: 'purchase', userId: 'u2', itemId: 'i2', value: 3 },
    ],
  });
  expectStatus(again, 200, 'duplicates');
  assert.deepEqual([again.body.accepted, again.body.duplicates], [1, 2]);
  // partial=true writes the valid rows only.
  const partial = await client.post<{ accepted: number; rejected: number }>(
    '/v1/events?partial=true',
    {
      events: [
        { id: `${p}ok`, type: 'like', userId: 'u3', itemId: 'i3' },
        { id: `${p}bad`, type: 'no-such-type', userId: 'u3', itemId: 'i3' },
      ],
    },
  );
  expectStatus(partial, 200, 'partial');
  assert.deepEqual([partial.body.accepted, partial.body.rejected], [1, 1]);
  // A single event.
  expectStatus(
    await client.post('/v1/events', {
      id: `${p}one`,
      type: 'view',
      userId: 'u4',
      itemId: 'i4',
      timestamp: nowSeconds() - 5,
    }),
    201,
    'single event',
  );

  // Patches.
  for (let i = 0; i < 20; i++) {
    expectStatus(
      await client.patch(`/v1/items/i${i * 3}`, {
        title: `${p}patched ${i}`,
        attributes: { price: i % 2 ? null : 99, color: 'green' },
        ...(i % 4 === 0 ? { available: false } : {}),
      }),
      200,
      'item patch',
    );
  }
  for (let i = 0; i < 10; i++) {
    expectStatus(
      await client.patch(`/v1/users/u${i}`, { attributes: { age: null, tier: i } }),
      200,
      'user patch',
    );
  }

  // Deletes: items, and a user with a history (right to be forgotten).
  for (const id of ['i5', 'i17', `${p}single`])
    expectStatus(await client.delete(`/v1/items/${id}`), 204, `delete ${id}`);
  const forgotten = `u${7 + round}`;
  const history = await client.get<{ interactions: unknown[] }>(
    `/v1/users/${forgotten}/interactions`,
  );
  expectStatus(history, 200, 'history before delete');
  assert.ok(history.body.interactions.length > 0, 'the deleted user had interactions');
  expectStatus(await client.delete(`/v1/users/${forgotten}`), 204, 'delete user');
  expectStatus(await client.get(`/v1/users/${forgotten}`), 404, 'deleted user is gone');
  expectStatus(
    await client.get(`/v1/users/${forgotten}/interactions`),
    404,
    'deleted history is gone',
  );

  // After the deletes: a deleted item comes back, the forgotten user interacts again.
  expectStatus(
    await client.post('/v1/items', { id: 'i17', title: `${p}back` }),
    200,
    'item re-created',
  );
  const later = await client.post('/v1/events', {
    events: [
      { id: `${p}after-1`, type: 'click', userId: forgotten, itemId: 'i17' },
      { id: `${p}after-2`, type: 'purchase', userId: 'u1', itemId: 'i5' },
      ...interactions(300, 80, 160, round * 10 + 9),
    ],
  });
  expectStatus(later, 200, 'events after deletes');
}

test(
  'live, restored-from-snapshot and fully replayed read models hash alike',
  { timeout: 90_000 },
  async (t) => {
    const stateFiles = (): string[] =>
      readdirSync(dataDir.path).filter((name) => name.startsWith('state.db'));
    let reference: AdminStatus;

    await t.test('live writes equal a replay of the log', async () => {
      const { client } = await start();
      await mixedWorkload(client, 0);
      reference = await assertMatchesReplay(client, 'live');
      assert.ok(
        reference.items > 100 && reference.users > 40 && reference.interactions > 2000,
        JSON.stringify(reference),
      );
    });

    await t.test('restart after SIGTERM restores the snapshot and hashes the same', async () => {
      const first = servers.at(-1) as ServerProcess;
      const exit = await first.stop();
      assert.equal(exit.code, 0);
      assert.ok(
        first.logs.some(
          (line) => line.msg === 'snapshot written' && line['checkpoint'] === reference.checkpoint,
        ),
      );

      const { server, client } = await start();
      const restored = server.logs.find((line) => line.msg === 'snapshot restored');
      assert.ok(restored, 'the restart restored a snapshot');
      assert.equal(restored['checkpoint'], reference.checkpoint);
      const ready = server.logs.find((line) => line.msg === 'read models ready');
      assert.equal(ready?.['replayed'], 0, 'nothing left to replay after the snapshot');
      const live = await assertMatchesReplay(client, 'restored');
      assert.equal(
        live.checksum,
        reference.checksum,
        'restored state equals the state before the restart',
      );

      // Writes on top of restored state must still match a replay (indexes, counters...).
      await mixedWorkload(client, 1);
      reference = await assertMatchesReplay(client, 'restored + writes');
    });

    await t.test(
      'restart without snapshot state replays the whole log and hashes the same',
      async () => {
        const second = servers.at(-1) as ServerProcess;
        assert.equal((await second.stop()).code, 0);
        assert.ok(stateFiles().length > 0, 'state.db exists before we delete it');
        for (const name of stateFiles()) rmSync(join(dataDir.path, name));
        assert.ok(!existsSync(join(dataDir.path, 'state.db')));

        const { server, client } = await start();
        assert.ok(
          !server.logs.some((line) => line.msg === 'snapshot restored'),
          'no snapshot to restore',
        );
        const ready = server.logs.find((line) => line.msg === 'read models ready');
        assert.equal(ready?.['replayed'], reference.checkpoint, 'the whole log was replayed');
        const live = await assertMatchesReplay(client, 'full replay');
        assert.equal(
          live.checksum,
          reference.checksum,
          'fully replayed state equals the live state',
        );
        assert.equal((await server.stop()).code, 0);
      },
    );
  },
);
