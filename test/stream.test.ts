// Live recommendations over server-sent events on a real port: the first list, a push
// after an acknowledged event of that user (reflecting it), none for other users, one per
// batch, a push after a model swap, reconnects, bad input, disconnect cleanup, the
// connection cap, and a stream that holds no pool slot and outlives the handler timeout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE } from './support/planted-data.js';
import { openEventStream, type ServerSentEvent, type SseStream } from './support/sse-client.js';

/** The value of one series on /metrics (NaN when absent); `series` as printed, labels included. */
function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

interface ListEvent {
  recommendationId: string;
  items: { id: string; score: number }[];
  scenario: string;
  model: string | null;
  trigger: 'initial' | 'interaction' | 'model';
}

const CAP = 4;
const HEARTBEAT_MS = 150;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const listOf = (event: ServerSentEvent): ListEvent => {
  assert.equal(event.event, 'recommendations', event.data);
  return JSON.parse(event.data) as ListEvent;
};
const ids = (list: { items: { id: string }[] }): string[] => list.items.map((item) => item.id);

describe('recommendation stream', () => {
  let kindred: ModelServer;
  const open: SseStream[] = [];
  const connect = async (path: string, headers?: Record<string, string>): Promise<SseStream> => {
    const stream = await openEventStream(`${kindred.url}${path}`, headers);
    if (stream.status === 200) open.push(stream);
    return stream;
  };
  const closeAll = async (): Promise<void> => {
    for (const stream of open.splice(0)) stream.close();
    await waitFor(() => kindred.models.streams.size === 0, 'streams closed');
  };
  const waitFor = async (check: () => boolean, what: string, timeoutMs = 3000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
      await sleep(10);
    }
  };

  before(async () => {
    kindred = await startModelServer({
      KINDRED_TRAINING_PIPELINE: TEST_PIPELINE,
      KINDRED_SERVING_STREAM_MAX_CONNECTIONS: String(CAP),
      KINDRED_SERVING_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS),
      KINDRED_HANDLER_TIMEOUT_MS: '300',
    });
    const items = [];
    for (let block = 0; block < 6; block++)
      for (let i = 0; i < 40; i++)
        items.push({
          id: `i${block}-${i}`,
          title: `Item ${block}-${i}`,
          categories: [`b${block}`],
        });
    assert.equal((await kindred.client.post('/v1/items/batch', { items })).status, 200);
    await kindred.record(plantedInteractions().events);
    const trained = await kindred.client.post('/v1/models/train?wait=true', {});
    assert.equal(trained.status, 200, trained.text);
  });
  after(async () => {
    for (const stream of open) stream.close();
    await kindred.close();
  });

  test('the first list on connect: the same as GET, with retry, an event id and SSE headers', async () => {
    const stream = await connect('/v1/users/u5-4/recommendations/stream?k=10');
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    assert.equal(stream.headers['cache-control'], 'no-cache, no-transform');
    assert.ok(stream.headers['x-request-id']);
    const first = await stream.next();
    const list = listOf(first);
    assert.equal(list.trigger, 'initial');
    assert.equal(first.id, list.recommendationId);
    assert.equal(stream.retry, 2000);
    assert.equal(list.items.length, 10);
    const get = await kindred.client.get<{ items: { id: string }[] }>(
      '/v1/users/u5-4/recommendations?k=10',
    );
    assert.deepEqual(ids(list), ids(get.body));
    await closeAll();
  });

  test("a push after the user's acknowledged event reflects it; other users' events push nothing", async () => {
    const mine = await connect('/v1/users/u5-4/recommendations/stream?k=10');
    const other = await connect('/v1/users/u2-7/recommendations/stream?k=10');
    const before = listOf(await mine.next());
    listOf(await other.next());
    const top = before.items[0]!.id;
    const acknowledged = await kindred.client.post('/v1/events', {
      type: 'purchase',
      userId: 'u5-4',
      itemId: top,
    });
    assert.equal(acknowledged.status, 201);
    const ackAt = performance.now();
    const pushed = await mine.next(1000);
    const after = listOf(pushed);
    assert.equal(after.trigger, 'interaction');
    assert.ok(!ids(after).includes(top), 'the purchased item is gone from the pushed list');
    assert.notEqual(after.recommendationId, before.recommendationId);
    // The pushed list is what a request now answers (read-your-writes on the stream).
    const now = await kindred.client.get<{ items: { id: string }[] }>(
      '/v1/users/u5-4/recommendations?k=10',
    );
    assert.deepEqual(ids(after), ids(now.body));
    process.stdout.write(`# ack to push: ${(pushed.at - ackAt).toFixed(1)} ms\n`);

    // Someone else's events: nothing on this stream (heartbeats only).
    const comments = mine.comments;
    await kindred.client.post('/v1/events', { type: 'click', userId: 'u1-3', itemId: 'i1-5' });
    await kindred.client.post('/v1/events', {
      type: 'click',
      userId: 'nobody-yet',
      itemId: 'i1-6',
    });
    assert.deepEqual(await mine.collect(3 * HEARTBEAT_MS), []);
    assert.ok(mine.comments > comments, 'heartbeats keep the idle stream alive');
    assert.deepEqual(await other.collect(0), []);
    await closeAll();
  });

  test('a batch of 100 events of one user is one recompute and one push', async () => {
    const stream = await connect('/v1/users/u3-2/recommendations/stream?k=5');
    listOf(await stream.next());
    const recomputed = kindred.models.streams.recomputed;
    const events = Array.from({ length: 100 }, (_, i) => ({
      type: 'view',
      userId: 'u3-2',
      itemId: `i3-${i % 40}`,
    }));
    assert.equal((await kindred.client.post('/v1/events', { events })).status, 200);
    const pushes = await stream.collect(300);
    assert.equal(pushes.length, 1, JSON.stringify(pushes.map((p) => p.data.slice(0, 80))));
    assert.equal(listOf(pushes[0]!).trigger, 'interaction');
    assert.equal(kindred.models.streams.recomputed - recomputed, 1);
    await closeAll();
  });

  test('a stream of a user unknown at connect follows their first events', async () => {
    const stream = await connect('/v1/users/newcomer/recommendations/stream?k=5');
    const cold = listOf(await stream.next());
    for (const itemId of ['i4-1', 'i4-2', 'i4-3'])
      await kindred.client.post('/v1/events', { type: 'purchase', userId: 'newcomer', itemId });
    const warm = listOf(await stream.next(1000));
    assert.equal(warm.trigger, 'interaction');
    for (const itemId of ['i4-1', 'i4-2', 'i4-3']) assert.ok(!ids(warm).includes(itemId));
    assert.notDeepEqual(ids(warm), ids(cold));
    await closeAll();
  });

  test('a model swap pushes a fresh list to every stream, naming the new version', async () => {
    const a = await connect('/v1/users/u0-1/recommendations/stream?k=5');
    const b = await connect(
      '/v1/users/u4-9/recommendations/stream?k=5&filter=%22b4%22%20in%20categories',
    );
    const firstA = listOf(await a.next());
    listOf(await b.next());
    const trained = await kindred.client.post<{ version: string }>(
      '/v1/models/train?wait=true',
      {},
    );
    assert.equal(trained.status, 200, trained.text);
    assert.notEqual(trained.body.version, firstA.model);
    for (const stream of [a, b]) {
      const pushed = listOf(await stream.next(3000));
      assert.equal(pushed.trigger, 'model');
      assert.equal(pushed.model, trained.body.version);
      // Pushed lists keep the stream's own parameters (b's category filter).
      if (stream === b) {
        assert.ok(pushed.items.length > 0);
        for (const id of ids(pushed)) assert.match(id, /^i4-/);
      }
    }
    await closeAll();
  });

  test('a reconnect with Last-Event-ID gets the current list', async () => {
    const first = await connect('/v1/users/u1-3/recommendations/stream?k=8');
    const seen = await first.next();
    first.close();
    await kindred.client.post('/v1/events', {
      type: 'purchase',
      userId: 'u1-3',
      itemId: listOf(seen).items[0]!.id,
    });
    const again = await connect('/v1/users/u1-3/recommendations/stream?k=8', {
      'last-event-id': seen.id!,
    });
    const current = listOf(await again.next());
    assert.equal(current.trigger, 'initial');
    assert.ok(!ids(current).includes(listOf(seen).items[0]!.id));
    await closeAll();
  });

  test('bad parameters answer JSON errors before any stream starts', async () => {
    const badRule = await connect(
      '/v1/users/u1-3/recommendations/stream?filter=price%20%3C%3C%202',
    );
    assert.equal(badRule.status, 400);
    assert.equal(JSON.parse(badRule.errorBody).error.code, 'INVALID_RULE');
    const noScenario = await connect('/v1/users/u1-3/recommendations/stream?scenario=absent');
    assert.equal(noScenario.status, 404);
    assert.equal(JSON.parse(noScenario.errorBody).error.code, 'SCENARIO_NOT_FOUND');
    const paging = await connect('/v1/users/u1-3/recommendations/stream?recommendationId=x');
    assert.equal(paging.status, 400);
    assert.equal(kindred.models.streams.size, 0);
  });

  test('a deleted scenario ends its streams with an error event', async () => {
    const put = await kindred.client.put('/v1/scenarios/live', {
      sources: [{ name: 'cf', budget: 50, weight: 1 }],
      fallback: ['trending'],
    });
    assert.ok(put.status < 300, put.text);
    const stream = await connect('/v1/users/u2-2/recommendations/stream?scenario=live');
    assert.equal(listOf(await stream.next()).scenario, 'live');
    const deleted = await kindred.client.delete('/v1/scenarios/live');
    assert.ok(deleted.status < 300, deleted.text);
    await kindred.client.post('/v1/events', { type: 'click', userId: 'u2-2', itemId: 'i2-1' });
    const failed = await stream.next(1000);
    assert.equal(failed.event, 'error');
    assert.equal(JSON.parse(failed.data).error.code, 'SCENARIO_NOT_FOUND');
    await stream.ended;
    await waitFor(() => kindred.models.streams.size === 0, 'the failed stream is forgotten');
    open.splice(0);
  });

  test('disconnects are cleaned up and counted in /metrics; the cap refuses one more', async () => {
    const gauge = async (): Promise<number> => {
      const text = (await kindred.client.get('/metrics', { parse: false })).text;
      return metricValue(text, 'kindred_recommendation_streams');
    };
    const streams: SseStream[] = [];
    for (let i = 0; i < CAP; i++) {
      const stream = await connect(`/v1/users/u0-${i}/recommendations/stream?k=3`);
      assert.equal(stream.status, 200);
      await stream.next();
      streams.push(stream);
    }
    assert.equal(kindred.models.streams.size, CAP);
    assert.equal(await gauge(), CAP);
    const refused = await connect('/v1/users/u0-9/recommendations/stream?k=3');
    assert.equal(refused.status, 503);
    assert.equal(JSON.parse(refused.errorBody).error.code, 'TOO_MANY_STREAMS');

    // Open streams hold no slot of the read pool, and outlive the handler timeout (300 ms).
    const metrics = (await kindred.client.get('/metrics', { parse: false })).text;
    assert.equal(metricValue(metrics, 'kindred_http_in_flight_requests{pool="read"}'), 0);
    await sleep(500);
    await kindred.client.post('/v1/events', { type: 'click', userId: 'u0-0', itemId: 'i0-30' });
    assert.equal(listOf(await streams[0]!.next(1000)).trigger, 'interaction');

    streams[0]!.close();
    await waitFor(() => kindred.models.streams.size === CAP - 1, 'one stream closed');
    const admitted = await connect('/v1/users/u0-9/recommendations/stream?k=3');
    assert.equal(admitted.status, 200);
    await closeAll();
    assert.equal(await gauge(), 0);
  });
});
