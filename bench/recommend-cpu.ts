// CPU per recommendation in process, without HTTP: the serving benchmark's request mix
// (k=10, a category filter, five excludes, random users) asked of the recommendation
// service directly, over the data and model that `node dist/bench/serving.js --data DIR`
// kept in DIR. Over HTTP a machine's noise (the load generator, the kernel's loopback)
// moves the figures by a fifth from run to run; this measures the service alone, its
// background work included (impressions written as events, the projections following them).
//
// Usage (after `npm run build`):
//   node dist/bench/recommend-cpu.js --data DIR [--rounds 6] [--calls 20000]
//
// Prints, per round, the wall time and the process's CPU time per call. The first round
// warms the JIT and the caches.
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadConfig } from '../src/config/load.js';
import { createRandom } from '../src/core/models/random.js';
import { paramsOf } from '../src/http/routes/recommendations.js';
import { createLogger } from '../src/observability/logger.js';
import { NO_TRACE } from '../src/observability/tracing.js';
import { startEmbeddedServer } from '../src/roles/embedded.js';
import { numberOption, textOption } from './options.js';
import { K, PIPELINE, recommendationQuery } from './serving-mix.js';

const DATA = textOption('data');
const ROUNDS = numberOption('rounds', 6);
const CALLS = numberOption('calls', 20_000);
const USERS = 50_000;
const ITEMS = 100_000;
/** Calls between yields to the event loop, so background work runs as it would between requests. */
const CALLS_PER_TURN = 50;

if (DATA === undefined) {
  process.stderr.write(
    'usage: node dist/bench/recommend-cpu.js --data DIR [--rounds N] [--calls N]\n',
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
let next = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  let items = 0;
  for (let call = 0; call < CALLS; call++) {
    const { user, raw } = requests[next++ % requests.length]!;
    items += service.forUser(user, paramsOf(raw, K), NO_TRACE).items.length;
    if (call % CALLS_PER_TURN === CALLS_PER_TURN - 1) await nextTurn();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = ((performance.now() - wallBefore) * 1000) / CALLS;
  process.stdout.write(
    `round ${round}: ${wallUs.toFixed(1)} µs a call (wall), ${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs of CPU, ${(items / CALLS).toFixed(1)} items an answer\n`,
  );
}
await server.stop();
