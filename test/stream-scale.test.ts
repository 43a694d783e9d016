// 2,000 live recommendation streams held open against `kindred serve` in a child process:
// the server's memory per connection, a push to one user among them, a model swap pushed
// to all of them in slices while the server keeps answering, and every stream forgotten
// once the clients leave.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataDir, ServerProcess, JsonClient } from './support/server-process.js';
import { rssMb } from './support/overload.js';
import { TEST_PIPELINE } from './support/planted-data.js';
import { openEventStream, type SseStream } from './support/sse-client.js';

const STREAMS = 2000;
const ITEMS = 300;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let server: ServerProcess;
let client: JsonClient;
let dataDir: ReturnType<typeof makeDataDir>;

before(async () => {
  dataDir = makeDataDir('kindred-streams-');
  server = await ServerProcess.start({
    dataDir: dataDir.path,
    env: {
      KINDRED_TRAINING_ON_START: 'false',
      KINDRED_TRAINING_PIPELINE: TEST_PIPELINE,
      KINDRED_SERVING_STREAM_MAX_CONNECTIONS: String(STREAMS + 10),
      // Connecting in waves of a hundred is a burst the delay guard would (rightly) shed;
      // this test measures held streams, not admission.
      KINDRED_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
  });
  client = new JsonClient(server.url, { maxSockets: 8 });
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    id: `i${i}`,
    title: `Item ${i}`,
    categories: [`c${i % 10}`],
  }));
  assert.equal((await client.post('/v1/items/batch', { items })).status, 200);
  // Each user clicks items of "their" category, so the model has something to learn.
  const events = [];
  for (let u = 0; u < STREAMS; u++)
    for (let j = 0; j < 6; j++)
      events.push({
        type: 'click',
        userId: `u${u}`,
        itemId: `i${(u % 10) + 10 * ((u + j * 7) % 30)}`,
      });
  for (let start = 0; start < events.length; start += 5000) {
    const posted: { status: number; text: string } = await client.post('/v1/events', {
      events: events.slice(start, start + 5000),
    });
    assert.equal(posted.status, 200, posted.text);
  }
  const trained = await client.post('/v1/models/train?wait=true', {});
  assert.equal(trained.status, 200, trained.text);
});

after(async () => {
  client?.close();
  await server?.stop();
  dataDir?.remove();
});

async function openMany(count: number, from = 0): Promise<SseStream[]> {
  const streams: SseStream[] = [];
  for (let start = 0; start < count; start += 100) {
    const wave = await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, i) =>
        openEventStream(`${server.url}/v1/users/u${from + start + i}/recommendations/stream?k=10`),
      ),
    );
    for (const stream of wave) assert.equal(stream.status, 200, stream.errorBody);
    await Promise.all(wave.map((stream) => stream.next(10_000)));
    streams.push(...wave);
  }
  return streams;
}

async function gauge(): Promise<number> {
  const text = (await client.get('/metrics', { parse: false })).text;
  const line = text.split('\n').find((l) => l.startsWith('kindred_recommendation_streams '));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

test(
  `${STREAMS} concurrent streams: memory per connection, targeted pushes, a model swap to all`,
  {
    timeout: 180_000,
  },
  async (t) => {
    // Warm the code paths (and the allocator) before the baseline.
    for (const stream of await openMany(100)) stream.close();
    const deadline = Date.now() + 5000;
    while ((await gauge()) !== 0 && Date.now() < deadline) await sleep(20);
    await sleep(300);
    const baseline = rssMb(server.pid);

    const opened = performance.now();
    const streams = await openMany(STREAMS);
    const openSeconds = (performance.now() - opened) / 1000;
    await sleep(300);
    const held = rssMb(server.pid);
    const perConnectionKb = ((held - baseline) * 1024) / STREAMS;
    assert.equal(await gauge(), STREAMS);
    t.diagnostic(
      `${STREAMS} streams opened (first list each) in ${openSeconds.toFixed(1)} s; server RSS ${baseline.toFixed(0)} -> ${held.toFixed(0)} MB: ${perConnectionKb.toFixed(1)} KB per connection`,
    );
    assert.ok(perConnectionKb < 64, `${perConnectionKb.toFixed(1)} KB per connection`);

    // One user's event reaches their stream only.
    const acknowledged = await client.post('/v1/events', {
      type: 'purchase',
      userId: 'u7',
      itemId: 'i17',
    });
    assert.equal(acknowledged.status, 201);
    const ackAt = performance.now();
    const pushed = await streams[7]!.next(2000);
    t.diagnostic(`ack to push among ${STREAMS} streams: ${(pushed.at - ackAt).toFixed(1)} ms`);
    assert.equal(JSON.parse(pushed.data).trigger, 'interaction');
    await sleep(100);
    assert.equal(streams.filter((stream) => stream.pending.length > 0).length, 0);

    // A model swap recomputes every stream in slices: the server keeps answering meanwhile.
    const pings: number[] = [];
    let pinging = true;
    const pinger = (async () => {
      while (pinging) {
        const started = performance.now();
        await client.get('/health/live');
        pings.push(performance.now() - started);
        await sleep(5);
      }
    })();
    const swapStarted = performance.now();
    const trained = await client.post<{ version: string }>('/v1/models/train?wait=true', {});
    assert.equal(trained.status, 200, trained.text);
    const pushes = await Promise.all(streams.map((stream) => stream.next(30_000)));
    const swapSeconds = (Math.max(...pushes.map((p) => p.at)) - swapStarted) / 1000;
    pinging = false;
    await pinger;
    for (const push of pushes) {
      const list = JSON.parse(push.data) as { trigger: string; model: string };
      assert.equal(list.trigger, 'model');
      assert.equal(list.model, trained.body.version);
    }
    const worstPing = Math.max(...pings);
    t.diagnostic(
      `model swap: training and ${STREAMS} fresh lists in ${swapSeconds.toFixed(2)} s; /health/live worst ${worstPing.toFixed(1)} ms over ${pings.length} probes`,
    );

    for (const stream of streams) stream.close();
    const closing = Date.now() + 10_000;
    while ((await gauge()) !== 0 && Date.now() < closing) await sleep(20);
    assert.equal(await gauge(), 0);
  },
);
