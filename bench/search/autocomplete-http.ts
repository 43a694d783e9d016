// Autocomplete latency over HTTP: a real `kindred serve` process holding the generated
// product corpus (loaded through POST /v1/items/batch), then GET /v1/autocomplete with
// prefixes typed key by key from real titles, on keep-alive connections. The acceptance
// is p99 ≤ 5 ms on 100,000 products.
//
// Usage (after `npm run build`):
//   node build/bench/search/autocomplete-http.js [--items 100000] [--requests 5000]
//        [--warmup 1000] [--clients 1] [--short] [--core]
//
// `--short` (20,000 items, 1,000 requests) checks that the benchmark works; the figure to
// quote comes from a full run on a quiet machine. Latency is client-side: from handing
// the request to the socket until the last byte of the answer.
//
// The same run also measures the engine core alone: a `SearchIndex` in this process fed
// the same items, `suggest` called with the same keystrokes and the anonymous blend the
// server applies (recency only: no item has interactions). That figure moves less with
// the load other processes put on the machine. Results also go to
// bench/results/autocomplete.md (not with `--short`). `--core` measures the core alone (no
// server, nothing written) and breaks its latency down by keystroke class.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { LoadClient, percentile } from '../../test/support/load-generator.js';
import { JsonClient, ServerProcess, makeDataDir } from '../../test/support/server-process.js';
import { createRandom } from '../../src/core/models/random.js';
import { SearchFixture } from '../../test/support/search-fixture.js';
import { generateProducts } from './products.js';
import { flag, numberOption } from '../options.js';

const short = flag('short');
const ITEMS = numberOption('items', short ? 20_000 : 100_000);
const REQUESTS = numberOption('requests', short ? 1_000 : 5_000);
const WARMUP = numberOption('warmup', short ? 200 : 1_000);
const CLIENTS = numberOption('clients', 1);
const CORE_ONLY = flag('core');
const BATCH = 10_000;
/** The server's default blend for anonymous users: recency 0.05, no popularity yet. */
const RECENCY_WEIGHT = 0.05;
const RECENCY_HALF_LIFE_MS = 30 * 86_400_000;
const RESULTS = new URL('../../../bench/results/autocomplete.md', import.meta.url);

/** What a person types for a title: every prefix, key by key ("t", "to", ..., "toy s", ...). */
function keystrokes(title: string): string[] {
  const text = title.toLowerCase();
  const out: string[] = [];
  for (let end = 1; end <= text.length; end++) out.push(text.slice(0, end));
  return out;
}

interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function percentiles(latencies: readonly number[]): Percentiles {
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

/** What kind of keystroke: one word of 1, 2-3 or 4+ letters, or several words. */
function keystrokeClass(query: string): string {
  const words = query.trim().split(/\s+/);
  if (words.length > 1) return 'several words';
  const length = words[0]!.length;
  return length <= 1
    ? 'one word, 1 char'
    : length <= 3
      ? 'one word, 2-3 chars'
      : 'one word, 4+ chars';
}

interface CoreLatency {
  readonly all: Percentiles;
  /** The slowest keystrokes, slowest first. */
  readonly slowest: readonly { query: string; latency: number }[];
  readonly byClass: readonly {
    label: string;
    count: number;
    latency: Percentiles;
    cpu: Percentiles;
  }[];
}

/** `suggest` alone, in this process, on the same items and keystrokes. */
function measureCore(
  documents: ReturnType<typeof generateProducts>['documents'],
  queries: readonly string[],
): CoreLatency {
  const fixture = new SearchFixture({ facetAttributes: ['brand'], sortableAttributes: ['price'] });
  for (const document of documents)
    fixture.upsert({
      id: `p${document.id}`,
      title: document.title,
      text: { description: document.description, brand: document.brand },
      categories: document.categories,
      attributes: { brand: document.brand, price: document.price },
    });
  const now = Date.now();
  const decay = Math.LN2 / RECENCY_HALF_LIFE_MS;
  const options = {
    limit: 5,
    items: 5,
    boost: (doc: number, text: number): number => {
      const item = fixture.catalog.at(doc);
      const recency = item ? Math.exp(-decay * Math.max(0, now - item.createdAt)) : 0;
      return text * (1 + RECENCY_WEIGHT * recency);
    },
    boostCeiling: 1 + RECENCY_WEIGHT,
  };
  for (let i = 0; i < WARMUP; i++) fixture.search.suggest(queries[i]!, options);
  const latencies: number[] = [];
  const byClass = new Map<string, { latencies: number[]; cpu: number[] }>();
  for (let i = WARMUP; i < WARMUP + REQUESTS; i++) {
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    fixture.search.suggest(queries[i]!, options);
    const latency = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    latencies.push(latency);
    const label = keystrokeClass(queries[i]!);
    const group = byClass.get(label) ?? { latencies: [], cpu: [] };
    group.latencies.push(latency);
    // Time on a core (this process, GC threads included): what waiting for a core adds
    // to the latency on a busy machine is left out.
    group.cpu.push((cpu.user + cpu.system) / 1000);
    byClass.set(label, group);
  }
  const slowest = latencies
    .map((latency, i) => ({ query: queries[WARMUP + i]!, latency }))
    .sort((a, b) => b.latency - a.latency)
    .slice(0, 12);
  return {
    all: percentiles(latencies),
    slowest,
    byClass: [...byClass.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([label, group]) => ({
        label,
        count: group.latencies.length,
        latency: percentiles(group.latencies),
        cpu: percentiles(group.cpu),
      })),
  };
}

function coreRows(core: CoreLatency): [string, string][] {
  return core.byClass.map(({ label, count, latency, cpu }) => [
    `core, ${label} (${count})`,
    `p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}; ` +
      `CPU time p50 ${ms(cpu.p50)}, p99 ${ms(cpu.p99)}, max ${ms(cpu.max)}`,
  ]);
}

/** Typed keystrokes from real titles: every prefix of randomly chosen titles. */
function typedQueries(documents: ReturnType<typeof generateProducts>['documents']): string[] {
  const random = createRandom(7);
  const queries: string[] = [];
  while (queries.length < WARMUP + REQUESTS) {
    const document = documents[random.nextInt(documents.length)]!;
    queries.push(...keystrokes(document.title));
  }
  return queries;
}

function measureCoreOnly(): void {
  const dataset = generateProducts(ITEMS);
  const queries = typedQueries(dataset.documents);
  const started = performance.now();
  const core = measureCore(dataset.documents, queries);
  const rows: [string, string][] = [
    ['core p50 / p90 / p99', `${ms(core.all.p50)} / ${ms(core.all.p90)} / ${ms(core.all.p99)}`],
    ['core max', ms(core.all.max)],
    ...coreRows(core),
    ['load average (1, 5, 15 min)', load()],
    ['total run', `${((performance.now() - started) / 1000).toFixed(1)} s`],
  ];
  for (const [label, value] of rows) console.log(`${label.padEnd(38)}${value}`);
  console.log('slowest keystrokes:');
  for (const { query, latency } of core.slowest) console.log(`  ${ms(latency)}  "${query}"`);
}

function serverRssMiB(pid: number | undefined): { rss: number; peak: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number =>
      Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return undefined;
  }
}

const ms = (value: number): string => `${value.toFixed(3)} ms`;
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

async function main(): Promise<void> {
  const started = performance.now();
  const dataset = generateProducts(ITEMS);
  const dataDir = makeDataDir('kindred-autocomplete-');
  const server = await ServerProcess.start({
    dataDir: dataDir.path,
    env: {
      KINDRED_LOG_LEVEL: 'info',
      KINDRED_RATE_LIMIT_PER_ADDRESS: '0',
      KINDRED_RATE_LIMIT_PER_KEY: '0',
      KINDRED_SEARCH_FACETS: 'brand',
      KINDRED_SEARCH_SORTABLE: 'price',
      KINDRED_TRAINING_ON_START: 'false',
      KINDRED_STORAGE_SYNCHRONOUS: 'normal',
    },
  });
  const json = new JsonClient(server.url, { timeoutMs: 120_000 });
  try {
    const loadStarted = performance.now();
    for (let from = 0; from < dataset.documents.length; from += BATCH) {
      const items = dataset.documents.slice(from, from + BATCH).map((document) => ({
        id: `p${document.id}`,
        title: document.title,
        text: { description: document.description, brand: document.brand },
        categories: document.categories,
        attributes: { brand: document.brand, price: document.price },
      }));
      const response = await json.post('/v1/items/batch', { items });
      if (response.status !== 200)
        throw new Error(`batch at ${from}: ${response.status} ${response.text.slice(0, 300)}`);
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const queries = typedQueries(dataset.documents);
    const client = new LoadClient(server.url, CLIENTS);
    const send = (q: string): Promise<{ status: number; latency: number }> =>
      client.send({
        method: 'GET',
        path: `/v1/autocomplete?q=${encodeURIComponent(q)}&k=5&items=5`,
      });

    for (let i = 0; i < WARMUP; i++) await send(queries[i]!);
    const latencies: number[] = [];
    let failures = 0;
    let next = WARMUP;
    const measureStarted = performance.now();
    // Each client types its own keystrokes one after the other (closed loop).
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < WARMUP + REQUESTS) {
          const answer = await send(queries[next++]!);
          if (answer.status === 200) latencies.push(answer.latency);
          else failures++;
        }
      }),
    );
    const measureSeconds = (performance.now() - measureStarted) / 1000;
    const loadDuringHttp = load();
    const memory = serverRssMiB(server.child.pid);
    client.close();
    const http = percentiles(latencies);
    const coreStarted = performance.now();
    const core = measureCore(dataset.documents, queries);
    const coreSeconds = (performance.now() - coreStarted) / 1000;
    const loadAfterCore = load();

    const rows: [string, string][] = [
      ['machine', `${cpus().length} cpus, node ${process.version}`],
      ['corpus', `${dataset.name}, loaded in ${loadSeconds.toFixed(1)} s through the API`],
      [
        'requests',
        `${latencies.length} measured (${WARMUP} warm-up), ${CLIENTS} client(s), ${failures} failed`,
      ],
      ['throughput', `${(latencies.length / measureSeconds).toFixed(0)} requests/s`],
      ['HTTP p50 / p90 / p99', `${ms(http.p50)} / ${ms(http.p90)} / ${ms(http.p99)}`],
      ['HTTP max', ms(http.max)],
      ['core p50 / p90 / p99', `${ms(core.all.p50)} / ${ms(core.all.p90)} / ${ms(core.all.p99)}`],
      ['core max', `${ms(core.all.max)} (in-process suggest, ${coreSeconds.toFixed(1)} s)`],
      ...coreRows(core),
      [
        'server RSS',
        memory === undefined
          ? 'unknown'
          : `${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)} MiB)`,
      ],
      ['load average (1, 5, 15 min)', `${loadDuringHttp} after HTTP; ${loadAfterCore} after core`],
      ['acceptance (p99 ≤ 5 ms)', http.p99 <= 5 ? 'met' : 'NOT met'],
      ['total run', `${((performance.now() - started) / 1000).toFixed(1)} s`],
    ];
    for (const [label, value] of rows) console.log(`${label.padEnd(38)}${value}`);
    if (!short) writeResults(rows);
  } finally {
    json.close();
    await server.stop();
    dataDir.remove();
  }
}

function writeResults(rows: readonly [string, string][]): void {
  const lines = [
    '## Autocomplete latency',
    '',
    `- Date: ${new Date().toISOString()}`,
    '- Command: `npm run build && node build/bench/search/autocomplete-http.js`',
    `- Items ${ITEMS}, ${REQUESTS} measured keystrokes after ${WARMUP} warm-up, ${CLIENTS} client(s).`,
    '- HTTP: `GET /v1/autocomplete?q=...&k=5&items=5` on a `kindred serve` child process, keep-alive,',
    '  client-side latency. Core: `SearchIndex.suggest` in the benchmark process, same items and keystrokes.',
    '- The machine is shared: read the load averages with the figures.',
    '',
    '| measure | value |',
    '| --- | --- |',
    ...rows.map(([label, value]) => `| ${label} | ${value} |`),
    '',
  ];
  writeFileSync(RESULTS, lines.join('\n'));
}

if (CORE_ONLY) measureCoreOnly();
else await main();
