// What clients meet right after a start and right after a model swap, on the serving
// benchmark's generated shop (100,000 items, 50,000 users, 2,000,000 interactions), with
// default settings (only the training pipeline is pinned, to the serving benchmark's, so
// that a swap takes a minute, not the search's budget):
//   1. `kindred serve` starts; from the moment /health/ready answers 200, 4 keep-alive
//      clients ask for random users' recommendations (the serving mix: a category filter
//      and 5 excludes) for --seconds: p99 of each user's first request and of the rest;
//   2. a model is trained through the API while the clients go on, and swaps in: p99 of
//      the requests during the training and of those in the --seconds after the swap
//      (first requests of each user since the swap apart);
//   3. the server restarts on the new model (which brings its users' vectors and lists):
//      the same as 1;
//   4. once its background work is done (kindred_background_tasks all 0), the server's
//      CPU over --idle seconds with nobody asking.
//
// Usage (after `npm run build`; the data prepared once by `node build/bench/serving.js
// --data DIR`, which generates, imports and trains):
//   node build/bench/cold-start.js --data DIR [--seconds 10] [--idle 60] [--only-ready]
// A baseline: the compiled script copied into an earlier checkout's compiled bench/ (build/bench;
// dist/bench before tests and benchmarks left the shipped build), run with --only-ready on a
// copy of DIR (the same data; a build's server may rewrite its snapshot).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRandom } from '../src/core/models/random.js';
import { percentile } from '../test/support/load-generator.js';
import { ServerProcess } from '../test/support/server-process.js';
import { numberOption, textOption } from './options.js';
import { FULL_SIZE, K, PIPELINE, recommendationQuery } from './serving-mix.js';

const DATA = textOption('data');
const SECONDS = numberOption('seconds', 10);
const IDLE_SECONDS = numberOption('idle', 60);
/** `--only-ready`: phase 1 alone (to run this script against an earlier build as a baseline). */
const ONLY_READY = process.argv.includes('--only-ready');
const CLIENTS = 4;
const { ITEMS, USERS } = FULL_SIZE;
if (DATA === undefined)
  throw new Error('--data DIR (prepared by build/bench/serving.js --data DIR)');
const DATA_DIR: string = DATA;

interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly status: number;
  readonly first: boolean;
}

const round = (value: number): number => Number(value.toFixed(2));

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Closed-loop clients asking the serving mix until `stop()` says so. */
function runClients(
  base: string,
  seed: number,
): {
  readonly samples: Sample[];
  /** Forgets which users were asked: the next request of each counts as a first one. */
  resetFirsts(): void;
  stop(): Promise<void>;
} {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const random = createRandom(seed);
  const samples: Sample[] = [];
  let asked = new Set<string>();
  let running = true;
  const get = (path: string): Promise<number> =>
    new Promise((resolve) => {
      http
        .get(`${base}${path}`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        })
        .on('error', () => resolve(0));
    });
  const client = async (): Promise<void> => {
    while (running) {
      const { user, filter, exclude } = recommendationQuery(random, USERS, ITEMS);
      const first = !asked.has(user);
      asked.add(user);
      const sent = performance.now();
      const status = await get(
        `/v1/users/${user}/recommendations?k=${K}&filter=${encodeURIComponent(filter)}&exclude=${exclude.join(',')}`,
      );
      samples.push({ at: sent, ms: performance.now() - sent, status, first });
    }
  };
  const done = Promise.all(Array.from({ length: CLIENTS }, client));
  return {
    samples,
    resetFirsts: () => {
      asked = new Set();
    },
    stop: async () => {
      running = false;
      await done;
      agent.destroy();
    },
  };
}

function summarize(samples: readonly Sample[]): string {
  const firsts = samples.filter((s) => s.first).map((s) => s.ms);
  const rest = samples.filter((s) => !s.first).map((s) => s.ms);
  const other = samples.filter((s) => s.status !== 200).length;
  return (
    `${samples.length} requests (${other} not 200); first requests of a user: ${firsts.length}, ` +
    `p50 ${round(percentile(firsts, 50))} ms, p99 ${round(percentile(firsts, 99))} ms; ` +
    `later ones: ${rest.length}, p50 ${round(percentile(rest, 50))} ms, p99 ${round(percentile(rest, 99))} ms; ` +
    `max ${round(samples.reduce((most, s) => Math.max(most, s.ms), 0))} ms`
  );
}

async function waitReady(server: ServerProcess): Promise<number> {
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${server.url}/health/ready`).catch(() => undefined);
    if (response?.status === 200) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function backgroundIdle(server: ServerProcess): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const running = text
      .split('\n')
      .filter((line) => line.startsWith('kindred_background_tasks{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    if (running === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const sleep = (seconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function main(): Promise<void> {
  const env = { KINDRED_TRAINING_PIPELINE: PIPELINE, KINDRED_LOG_LEVEL: 'info' };
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say(`cold-start benchmark on ${DATA}, ${cpus().length} cores, ${CLIENTS} clients, defaults`);

  // 1. Right after ready.
  let server = await ServerProcess.start({ dataDir: DATA_DIR, env, startTimeoutMs: 600_000 });
  say(`started; ready ${round(await waitReady(server))} s after it listened`);
  let clients = runClients(server.url, 1);
  await sleep(SECONDS);
  await clients.stop();
  say(`right after ready: ${summarize(clients.samples)}`);
  if (ONLY_READY) {
    await server.stop(60_000);
    return;
  }

  // 2. A training and a swap while the clients go on.
  clients = runClients(server.url, 2);
  const trainStarted = performance.now();
  const trained = await fetch(`${server.url}/v1/models/train?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const swappedAt = performance.now();
  const record = (await trained.json()) as { version?: string };
  say(
    `trained ${record.version} (status ${trained.status}) in ${round((swappedAt - trainStarted) / 1000)} s`,
  );
  clients.resetFirsts();
  await sleep(SECONDS);
  await clients.stop();
  say(`during the training: ${summarize(clients.samples.filter((s) => s.at < swappedAt))}`);
  say(`right after the swap: ${summarize(clients.samples.filter((s) => s.at >= swappedAt))}`);
  await server.stop(60_000);

  // 3. A restart on the new model.
  server = await ServerProcess.start({ dataDir: DATA_DIR, env, startTimeoutMs: 600_000 });
  say(`restarted; ready ${round(await waitReady(server))} s after it listened`);
  clients = runClients(server.url, 3);
  await sleep(SECONDS);
  await clients.stop();
  say(`right after ready (restart): ${summarize(clients.samples)}`);

  // 4. Idle.
  const warmStarted = performance.now();
  await backgroundIdle(server);
  say(`background work done ${round((performance.now() - warmStarted) / 1000)} s after the load`);
  const before = cpuSeconds(server.pid);
  await sleep(IDLE_SECONDS);
  const idle = (cpuSeconds(server.pid) - before) / IDLE_SECONDS;
  say(`idle: ${round(idle * 100)} % of a core over ${IDLE_SECONDS} s`);
  await server.stop(60_000);
}

await main();
