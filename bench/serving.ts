// The serving benchmark: a generated catalog of 100,000 items, 50,000 users and 2,000,000
// interactions (power-law popularity, 20 categories, price and year) imported into a
// `kindred serve` process, a model trained through the admin API, then:
//   - max throughput of k=10 recommendations with a category filter and an exclude list
//     for random users, against a bare node:http server answering a fixed JSON body of
//     the same size, both driven by the same generator (wrk) in the same run;
//   - p99 latency at half of Kindred's own max throughput (open loop);
//   - freshness: from the acknowledgement of POST /v1/events to the first answer of that
//     user that reflects it, by a follow-up request and by the live stream;
//   - the server's resident memory.
//
// Usage (after `npm run build`; needs `wrk` on the PATH):
//   node build/bench/serving.js [--short] [--profile] [--seconds 10] [--connections 16] [--data DIR]
//
// `--data DIR` keeps the imported data and the trained model in DIR and reuses them on the
// next run with the same DIR (the import and the training take minutes; the measures do not
// depend on them).
//
// `--short` (10,000 items, 5,000 users, 200,000 interactions, short runs) checks that the
// benchmark works; `--profile` runs the server under --cpu-prof and prints where its time
// went during the load. Results go to bench/results/serving.md (not with `--short`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '../src/core/models/random.js';
import { percentile } from '../test/support/load-generator.js';
import { rssMb } from '../test/support/overload.js';
import {
  JsonClient,
  ServerProcess,
  makeDataDir,
  runKindred,
} from '../test/support/server-process.js';
import { openEventStream } from '../test/support/sse-client.js';
import { openLoop } from './open-loop.js';
import { flag, numberOption, textOption } from './options.js';
import {
  CATEGORIES,
  EXCLUDES,
  FULL_SIZE,
  K,
  PIPELINE,
  SHORT_SIZE,
  recommendationQuery,
} from './serving-mix.js';

const short = flag('short');
const profile = flag('profile');
const { ITEMS, USERS, INTERACTIONS } = short ? SHORT_SIZE : FULL_SIZE;
const SECONDS = numberOption('seconds', short ? 4 : 10);
/** Connection counts tried for each server (the best counts): few keep Kindred's delay guard quiet, more saturate the bare server. */
const CONNECTION_SET = [2, 4, numberOption('connections', 16)];
const ROUNDS = short ? 1 : 2;
const FRESHNESS_TRIALS = short ? 50 : 300;
const STREAM_TRIALS = short ? 30 : 200;
/** The half-load run's unmeasured first seconds. */
const WARM_UP_SECONDS = 3;
const KEPT_DATA = textOption('data');
const READY_MARK = 'bench-ready.json';
const RESULTS = new URL(
  `../../bench/results/${profile ? 'serving-profiled' : 'serving'}.md`,
  import.meta.url,
);

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const uptime = (): string => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();

/** Writes the catalog (JSON lines) and the interactions (CSV), seeded, with typed arrays. */
function generate(dir: string): { itemsFile: string; interactionsFile: string; seconds: number } {
  const started = performance.now();
  const random = createRandom(42);
  const itemLines: string[] = [];
  for (let i = 0; i < ITEMS; i++) {
    const primary = i % CATEGORIES.length;
    const categories = [CATEGORIES[primary]!];
    if (random.next() < 0.3) categories.push(CATEGORIES[random.nextInt(CATEGORIES.length)]!);
    itemLines.push(
      JSON.stringify({
        id: `i${i}`,
        title: `Item ${i}`,
        categories: [...new Set(categories)],
        attributes: {
          price: round(2 + 200 * random.next() ** 2, 2),
          year: 1970 + random.nextInt(55),
        },
      }),
    );
  }
  const itemsFile = join(dir, 'items.jsonl');
  writeFileSync(itemsFile, itemLines.join('\n') + '\n');

  // Users' activity and items' popularity both follow power laws; each user mostly
  // interacts within a favourite category, so there is something to learn.
  const users = new Int32Array(INTERACTIONS);
  const items = new Int32Array(INTERACTIONS);
  const types = new Uint8Array(INTERACTIONS);
  const times = new Int32Array(INTERACTIONS);
  const perCategory = Math.floor(ITEMS / CATEGORIES.length);
  const end = 1_760_000_000;
  for (let row = 0; row < INTERACTIONS; row++) {
    const user = row < USERS ? row : Math.floor(USERS * random.next() ** 1.6);
    users[row] = user;
    const favourite = user % CATEGORIES.length;
    items[row] =
      random.next() < 0.7
        ? favourite + CATEGORIES.length * Math.floor(perCategory * random.next() ** 2.5)
        : Math.floor(ITEMS * random.next() ** 2.5);
    const roll = random.next();
    types[row] = roll < 0.7 ? 0 : roll < 0.9 ? 1 : roll < 0.96 ? 2 : 3;
    times[row] = end - random.nextInt(90 * 86_400);
  }
  const typeNames = ['view', 'click', 'add-to-cart', 'purchase'];
  const chunks: string[] = ['user_id,item_id,type,timestamp'];
  for (let row = 0; row < INTERACTIONS; row++)
    chunks.push(`u${users[row]},i${items[row]},${typeNames[types[row]!]},${times[row]}`);
  const interactionsFile = join(dir, 'interactions.csv');
  writeFileSync(interactionsFile, chunks.join('\n') + '\n');
  return { itemsFile, interactionsFile, seconds: (performance.now() - started) / 1000 };
}

/** The request mix as a path (see `recommendationQuery`). */
function recommendationPath(random: ReturnType<typeof createRandom>): string {
  const { user, filter, exclude } = recommendationQuery(random, USERS, ITEMS);
  return `/v1/users/${user}/recommendations?k=${K}&filter=${encodeURIComponent(filter)}&exclude=${exclude.join(',')}`;
}

/** A wrk script drawing the same mix in Lua (the generator must not be the bottleneck). */
function wrkScript(dir: string): string {
  const file = join(dir, 'recommendations.lua');
  writeFileSync(
    file,
    `local categories = {${CATEGORIES.map((c) => `"${c}"`).join(',')}}
-- Each run draws its own sequence (the seed comes after --), so no run replays another's.
init = function(args)
  math.randomseed(tonumber(args[1] or "7"))
end
request = function()
  local user = math.random(0, ${USERS - 1})
  local category = categories[math.random(1, #categories)]
  local ex = {}
  for j = 1, ${EXCLUDES} do ex[j] = "i" .. math.random(0, ${ITEMS - 1}) end
  local path = "/v1/users/u" .. user .. "/recommendations?k=${K}&filter=%22" .. category ..
    "%22%20in%20categories&exclude=" .. table.concat(ex, ",")
  return wrk.format("GET", path)
end
`,
  );
  return file;
}

interface WrkResult {
  readonly requestsPerSecond: number;
  readonly okPerSecond: number;
  readonly non2xx: number;
  readonly p50: number;
  readonly p99: number;
  readonly connections: number;
}

let wrkRuns = 0;

function runWrk(url: string, script: string | undefined, connections: number): WrkResult {
  const args = ['-t1', `-c${connections}`, `-d${SECONDS}s`, '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  if (script) args.push('--', String(++wrkRuns));
  const result = spawnSync('wrk', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr || result.error}`);
  const out = result.stdout;
  const number = (pattern: RegExp): number => Number(pattern.exec(out)?.[1] ?? NaN);
  const ms = (label: string): number => {
    const match = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!match) return NaN;
    const value = Number(match[1]);
    return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
  };
  const total = number(/(\d+) requests in/);
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const duration = number(/requests in ([\d.]+)s/);
  const requestsPerSecond = number(/Requests\/sec:\s+([\d.]+)/);
  return {
    requestsPerSecond,
    okPerSecond: (total - non2xx) / duration,
    non2xx,
    p50: ms('50'),
    p99: ms('99'),
    connections,
  };
}

/** A bare node:http server answering `body` to everything, in its own process. */
async function startBareServer(body: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('bare-server.js', import.meta.url))],
    {
      env: { ...process.env, BARE_BODY: body, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}`, child };
}

/** Self time per function of a V8 CPU profile, the largest first. */
function topFunctions(file: string, count: number): { name: string; share: number }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    const where = frame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1');
    const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    const spent = profile.timeDeltas[index] ?? 0;
    self.set(name, (self.get(name) ?? 0) + spent);
    total += spent;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, samples]) => ({ name, share: samples / total }));
}

async function freshnessByRequest(client: JsonClient): Promise<number[]> {
  const random = createRandom(11);
  const delays: number[] = [];
  for (let trial = 0; trial < FRESHNESS_TRIALS; trial++) {
    const user = `u${random.nextInt(USERS)}`;
    const before = await client.get<{ items: { id: string }[] }>(
      `/v1/users/${user}/recommendations?k=${K}`,
    );
    const top = before.body.items[0]?.id;
    if (top === undefined) continue;
    const ack = await client.post('/v1/events', { type: 'purchase', userId: user, itemId: top });
    if (ack.status !== 201) throw new Error(`event not acknowledged: ${ack.text}`);
    const acknowledged = performance.now();
    for (;;) {
      const after = await client.get<{ items: { id: string }[] }>(
        `/v1/users/${user}/recommendations?k=${K}`,
      );
      if (!after.body.items.some((item) => item.id === top)) break;
      if (performance.now() - acknowledged > 5000) throw new Error('an event never showed');
    }
    delays.push(performance.now() - acknowledged);
  }
  return delays;
}

async function freshnessByStream(server: ServerProcess, client: JsonClient): Promise<number[]> {
  const random = createRandom(13);
  const delays: number[] = [];
  for (let trial = 0; trial < STREAM_TRIALS; trial++) {
    const user = `u${random.nextInt(USERS)}`;
    const stream = await openEventStream(
      `${server.url}/v1/users/${user}/recommendations/stream?k=${K}`,
    );
    const first = JSON.parse((await stream.next(5000)).data) as { items: { id: string }[] };
    const top = first.items[0]?.id;
    if (top === undefined) {
      stream.close();
      continue;
    }
    const ack = await client.post('/v1/events', { type: 'purchase', userId: user, itemId: top });
    const acknowledged = performance.now();
    if (ack.status !== 201) throw new Error(`event not acknowledged: ${ack.text}`);
    for (;;) {
      const pushed = await stream.next(5000);
      const list = JSON.parse(pushed.data) as { items: { id: string }[] };
      if (!list.items.some((item) => item.id === top)) {
        // A push can arrive before the client has read the acknowledgement: 0, not negative.
        delays.push(Math.max(0, pushed.at - acknowledged));
        break;
      }
    }
    stream.close();
  }
  return delays;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kindred-serving-bench-'));
  const data =
    KEPT_DATA === undefined
      ? makeDataDir('kindred-serving-data-')
      : (mkdirSync(KEPT_DATA, { recursive: true }), { path: KEPT_DATA, remove: () => undefined });
  const reused = KEPT_DATA !== undefined && existsSync(join(KEPT_DATA, READY_MARK));
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    process.stdout.write(line + '\n');
  };
  const load0 = uptime();
  try {
    let started = performance.now();
    let importSeconds = Number.NaN;
    if (!reused) {
      const generated = generate(work);
      process.stdout.write(`generated in ${generated.seconds.toFixed(1)} s\n`);
      started = performance.now();
      for (const [kind, file] of [
        ['items', generated.itemsFile],
        ['interactions', generated.interactionsFile],
      ] as const) {
        const result = await runKindred(['import', kind, file, '--data', data.path], {
          timeoutMs: 600_000,
        });
        if (result.code !== 0) throw new Error(`import ${kind} failed:\n${result.stderr}`);
      }
      importSeconds = (performance.now() - started) / 1000;
      process.stdout.write(`imported in ${importSeconds.toFixed(1)} s\n`);
    }

    const profileDir = join(work, 'profile');
    const server = await ServerProcess.start({
      dataDir: data.path,
      env: {
        KINDRED_TRAINING_ON_START: 'false',
        KINDRED_TRAINING_EVERY_SECONDS: '0',
        KINDRED_TRAINING_PIPELINE: PIPELINE,
        KINDRED_TRAINING_EVERY_EVENTS: '0',
        // The short catalog is under the index threshold: serve it the same way as the full one.
        ...(short ? { KINDRED_SERVING_ANN_MIN_ITEMS: String(ITEMS / 2) } : {}),
      },
      nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      startTimeoutMs: 120_000,
    });
    const client = new JsonClient(server.url, { maxSockets: 4 });
    try {
      started = performance.now();
      let trainSeconds = Number.NaN;
      if (!reused) {
        const trained = await new JsonClient(server.url, { timeoutMs: 900_000 }).post<{
          version: string;
        }>('/v1/models/train?wait=true', {});
        if (trained.status !== 200) throw new Error(`training failed: ${trained.text}`);
        trainSeconds = (performance.now() - started) / 1000;
        process.stdout.write(`trained ${trained.body.version} in ${trainSeconds.toFixed(1)} s\n`);
        if (KEPT_DATA !== undefined)
          writeFileSync(
            join(KEPT_DATA, READY_MARK),
            JSON.stringify({ importSeconds, trainSeconds }),
          );
      } else {
        ({ importSeconds, trainSeconds } = JSON.parse(
          readFileSync(join(KEPT_DATA!, READY_MARK), 'utf8'),
        ) as { importSeconds: number; trainSeconds: number });
        process.stdout.write(`reused the data and the model in ${KEPT_DATA}\n`);
      }
      // Serving is ready once the model's indexes are built, users' vectors folded in and
      // their lists within each category ranked ahead.
      await server.waitForLog((line) => line.msg === "users' vectors folded in", 300_000);
      const ranked = await server.waitForLog(
        (line) => line.msg === 'category lists ranked ahead',
        600_000,
      );
      process.stdout.write(
        `${String(ranked['lists'])} category lists ranked ahead in ${String(ranked['ms'])} ms\n`,
      );
      const rssLoaded = rssMb(server.pid);

      const random = createRandom(5);
      const sample = await client.get(recommendationPath(random), { parse: false });
      if (sample.status !== 200) throw new Error(`recommendations failed: ${sample.text}`);
      process.stdout.write(`a sample answer: ${sample.text}\n`);
      const bare = await startBareServer(sample.text);
      const script = wrkScript(work);
      try {
        // Warm both (JIT, caches), then alternate, so both see the same machine.
        runWrk(bare.url, undefined, 16);
        runWrk(server.url, script, 16);
        const bareRuns: WrkResult[] = [];
        const kindredRuns: WrkResult[] = [];
        for (let r = 0; r < ROUNDS; r++)
          for (const connections of CONNECTION_SET) {
            bareRuns.push(runWrk(`${bare.url}/`, undefined, connections));
            kindredRuns.push(runWrk(server.url, script, connections));
          }
        const best = (runs: WrkResult[]): WrkResult =>
          runs.reduce((a, b) => (b.okPerSecond > a.okPerSecond ? b : a));
        const bareBest = best(bareRuns);
        const kindredBest = best(kindredRuns);
        const ratio = kindredBest.okPerSecond / bareBest.okPerSecond;

        // p99 at half of Kindred's own max, open loop.
        const rate = Math.max(1, Math.floor(kindredBest.okPerSecond / 2));
        const openRandom = createRandom(9);
        const paths = Array.from({ length: rate * SECONDS }, () => recommendationPath(openRandom));
        const atHalf = (durationMs: number) =>
          openLoop({
            url: server.url,
            rate,
            durationMs,
            connections: 256,
            path: (index) => paths[index % paths.length]!,
          });
        // Settle at the rate first: right after the saturating runs the server is still
        // paying for them (a major GC of what they promoted, the shedder's state).
        await atHalf(WARM_UP_SECONDS * 1000);
        const open = await atHalf(SECONDS * 1000);
        const ok: number[] = [];
        const okFromDue: number[] = [];
        const all: number[] = [];
        open.fromRelease.forEach((latency, index) => {
          // A refused or lost request is a miss however fast: slower than any answer.
          const answeredOk = open.statuses[index] === 200 && !Number.isNaN(latency);
          if (answeredOk) {
            ok.push(latency);
            okFromDue.push(open.latencies[index]!);
          }
          all.push(answeredOk ? latency : Number.POSITIVE_INFINITY);
        });
        const openP50 = percentile(ok, 50);
        const openP99 = percentile(ok, 99);
        const openP99FromDue = percentile(okFromDue, 99);
        const refused = all.length - ok.length;
        const refusedShare = refused / all.length;
        const allP99 = percentile(all, 99);
        const rssAfterLoad = rssMb(server.pid);

        // How full the filtered lists are (the filter applies after retrieval).
        const fillRandom = createRandom(17);
        let filled = 0;
        const fillSamples = short ? 50 : 200;
        for (let i = 0; i < fillSamples; i++) {
          const answer = await client.get<{ items: unknown[] }>(recommendationPath(fillRandom));
          filled += answer.body.items.length;
        }
        const meanItems = filled / fillSamples;

        const byRequest = await freshnessByRequest(client);
        const byStream = await freshnessByStream(server, client);
        const rssEnd = rssMb(server.pid);
        const load1 = uptime();

        say(`# Serving benchmark${short ? ' (short)' : ''}`);
        say('');
        say(
          `${ITEMS.toLocaleString('en')} items in ${CATEGORIES.length} categories, ${USERS.toLocaleString('en')} users, ` +
            `${INTERACTIONS.toLocaleString('en')} interactions (power-law users and items, price and year); ` +
            `imported with \`kindred import\` in ${importSeconds.toFixed(1)} s, iALS (32 factors, 6 iterations) trained in ${trainSeconds.toFixed(1)} s; ` +
            `after loading, the server ranked ${String(ranked['lists'])} users' lists within a category ahead in ${(Number(ranked['ms']) / 1000).toFixed(1)} s (serving.categoryLists) before the runs.`,
        );
        say(
          `Requests: \`GET /v1/users/{random}/recommendations?k=10&filter="<random category>" in categories&exclude=<5 random items>\`. ` +
            `Generator: wrk, 1 thread, ${CONNECTION_SET.join(' and ')} keep-alive connections, ${SECONDS} s per run, ${ROUNDS} alternating rounds after a warm-up (best of each server).`,
        );
        say(
          `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, shared with other work; \`uptime\` before: ${load0}; after: ${load1}.` +
            `${profile ? ' The server ran under --cpu-prof (slower).' : ''}`,
        );
        say('');
        say('| measure | figure | target |');
        say('| --- | --- | --- |');
        say(
          `| bare node:http, fixed ${sample.text.length}-byte JSON body | ${bareRuns.map((r) => `${Math.round(r.okPerSecond)} (c=${r.connections})`).join(', ')} req/s | |`,
        );
        say(
          `| Kindred, k=10 + category filter + 5 excludes | ${kindredRuns.map((r) => `${Math.round(r.okPerSecond)} (c=${r.connections}${r.non2xx > 0 ? `, ${r.non2xx} shed` : ''})`).join(', ')} req/s answered 200 (best: p50 ${round(kindredBest.p50)} ms, p99 ${round(kindredBest.p99)} ms at saturation); ${round(meanItems, 1)} items per answer on average | |`,
        );
        say(`| throughput ratio (best of each) | **${round(ratio, 3)}** | ≥ 0.5 |`);
        say(
          `| latency at ${rate} req/s (half of max), open loop on raw sockets (bench/open-loop.ts), ${ok.length} answers after ${WARM_UP_SECONDS} s at the rate | p50 ${round(openP50)} ms, **p99 ${round(openP99)} ms** of the answers from their release (from when due, the generator's ~1 ms tick included: p99 ${round(openP99FromDue)} ms); ${refused} not 200 or lost (${round(refusedShare * 100)}%); p99 counting those as misses: ${Number.isFinite(allP99) ? `${round(allP99)} ms` : 'a miss'}; longest wait for a free connection ${round(open.maxQueueMs)} ms | p99 ≤ 10 ms |`,
        );
        say(
          `| freshness by request: ack of POST /v1/events → first answer without the purchased item (${byRequest.length} trials) | p50 ${round(percentile(byRequest, 50))} ms, **p99 ${round(percentile(byRequest, 99))} ms** | p99 ≤ 50 ms |`,
        );
        say(
          `| freshness by live stream: ack → pushed list without it (${byStream.length} trials) | p50 ${round(percentile(byStream, 50))} ms, **p99 ${round(percentile(byStream, 99))} ms** | p99 ≤ 50 ms |`,
        );
        say(
          `| server RSS | ${Math.round(rssLoaded)} MB loaded and trained, ${Math.round(rssAfterLoad)} MB after the load, ${Math.round(rssEnd)} MB at the end | |`,
        );
      } finally {
        bare.child.kill();
      }
    } finally {
      client.close();
      await server.stop(60_000);
    }
    if (profile) {
      // One file per thread; the main thread's id is 0 (training runs in workers).
      const file = readdirSync(profileDir).find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
      if (file) {
        say('');
        say(
          "Where the server's main thread spent its busy time (self time, idle excluded; the whole run: start, load, freshness):",
        );
        say('');
        for (const { name, share } of topFunctions(join(profileDir, file), 25))
          say(`- ${(share * 100).toFixed(1)}% ${name}`);
      }
    }
    if (!short) writeFileSync(RESULTS, lines.join('\n') + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
    data.remove();
  }
}

await main();
