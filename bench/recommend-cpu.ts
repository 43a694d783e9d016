// CPU per recommendation in process, without HTTP: the serving benchmark's request mix
// (k=10, a category filter, five excludes, random users) asked of the recommendation
// service directly, over the data and model that `node build/bench/serving.js --data DIR`
// kept in DIR. Over HTTP a machine's noise (the load generator, the kernel's loopback)
// moves the figures by a fifth from run to run; this measures the service alone, its
// background work included (impressions written as events, the projections following them).
//
// Usage (after `npm run build`):
//   node build/bench/recommend-cpu.js --data DIR [--rounds 6] [--calls 20000] [--evict BYTES]
//
// Prints, per round, the time spent inside the calls, the wall time and the process's CPU
// time per call. The first round warms the JIT and the caches. `--evict BYTES` sweeps that
// much memory before every other round's calls, as a server's network stack and HTTP
// parsing do between two requests: what the service costs with its data cold in the CPU
// caches (the time inside the calls leaves the sweep out).
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadConfig } from '../src/config/load.js';
import { createRandom } from '../src/core/models/random.js';
import { paramsOf } from '../src/http/routes/recommendations.js';
import { createLogger } from '../src/observability/logger.js';
import { NO_TRACE } from '../src/observability/tracing.js';
import { startEmbeddedServer } from '../src/roles/embedded.js';
import { numberOption, textOption } from './options.js';
import { FULL_SIZE, K, PIPELINE, recommendationQuery } from './serving-mix.js';

const DATA = textOption('data');
const ROUNDS = numberOption('rounds', 6);
const CALLS = numberOption('calls', 20_000);
const EVICT_BYTES = numberOption('evict', 0);
const { USERS, ITEMS } = FULL_SIZE;
/** Calls between yields to the event loop, so background work runs as it would between requests. */
const CALLS_PER_TURN = 50;

if (DATA === undefined) {
  process.stderr.write(
    'usage: node build/bench/recommend-cpu.js --data DIR [--rounds N] [--calls N]\n',
  );
  process.exit(2);
}

const config = loadConfig({
  env: {
    KINDRED_TRAINING_ON_START: 'false',
    KINDRED_TRAINING_EVERY_SECONDS: '0',
    KINDRED_TRAINING_EVERY_EVENTS: '0',
    KINDRED_TRAINING_PIPELINE: PIPELINE,
  },
  flags: { 'data.dir': DATA, 'server.port': 0, 'server.host': '127.0.0.1' },
});
// Ready once the kept lists within each category are ranked: the log says so.
const logs = new PassThrough();
const ranked = new Promise<void>((resolve) => {
  let pending = '';
  logs.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    if (pending.includes('category lists ranked ahead')) resolve();
    pending = pending.slice(pending.lastIndexOf('\n') + 1);
  });
});
const started = performance.now();
const server = await startEmbeddedServer(config, createLogger('info', logs));
await ranked;
process.stdout.write(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

const service = server.models.recommendations;
const random = createRandom(11);
const requests = Array.from({ length: 50_000 }, () => {
  const { user, filter, exclude } = recommendationQuery(random, USERS, ITEMS);
  return { user, raw: { k: K, filter, exclude: exclude.join(',') } };
});
/** Swept between calls (one int in 16: each cache line once). */
const evicted = new Int32Array(Math.ceil(EVICT_BYTES / 4));
let swept = 0;
function sweep(): void {
  let sum = 0;
  for (let i = 0; i < evicted.length; i += 16) sum = (sum + evicted[i]!++) | 0;
  swept ^= sum;
}

let next = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const evicting = EVICT_BYTES > 0 && round % 2 === 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  let inCalls = 0;
  let items = 0;
  for (let call = 0; call < CALLS; call++) {
    const { user, raw } = requests[next++ % requests.length]!;
    if (evicting) sweep();
    const callStarted = performance.now();
    items += service.forUser(user, paramsOf(raw, K), NO_TRACE).items.length;
    inCalls += performance.now() - callStarted;
    if (call % CALLS_PER_TURN === CALLS_PER_TURN - 1) await nextTurn();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const perCall = (ms: number): string => ((ms * 1000) / CALLS).toFixed(1);
  process.stdout.write(
    `round ${round}${evicting ? ` (${EVICT_BYTES} bytes swept before each call)` : ''}: ` +
      `${perCall(inCalls)} µs inside a call, ${perCall(performance.now() - wallBefore)} µs a call (wall), ` +
      `${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs of CPU, ${(items / CALLS).toFixed(1)} items an answer\n`,
  );
}
if (swept === -1) process.stdout.write('\n'); // keeps the sweep from being optimized away
await server.stop();
