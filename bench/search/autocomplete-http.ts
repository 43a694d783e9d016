// Autocomplete latency over HTTP: a real `kindred serve` process holding the generated
// product corpus (loaded through POST /v1/items/batch), then GET /v1/autocomplete with
// prefixes typed key by key from real titles, on keep-alive connections. The acceptance
// is p99 ≤ 5 ms on 100,000 products.
//
// Usage (after `npm run build`):
//   node dist/bench/search/autocomplete-http.js [--items 100000] [--requests 5000]
//        [--warmup 1000] [--clients 1] [--short]
//
// `--short` (20,000 items, 1,000 requests) checks that the benchmark works; the figure to
// quote comes from a full run on a quiet machine. Latency is client-side: from handing
// the request to the socket until the last byte of the answer.
import { cpus } from 'node:os';
import { LoadClient, percentile } from '../../test/support/load-generator.js';
import { JsonClient, ServerProcess, makeDataDir } from '../../test/support/server-process.js';
import { createRandom } from '../../src/core/models/random.js';
import { generateProducts } from './products.js';

const argv = process.argv.slice(2);
const short = argv.includes('--short');
function option(name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}
const ITEMS = option('items', short ? 20_000 : 100_000);
const REQUESTS = option('requests', short ? 1_000 : 5_000);
const WARMUP = option('warmup', short ? 200 : 1_000);
const CLIENTS = option('clients', 1);
const BATCH = 10_000;

/** What a person types for a title: every prefix, key by key ("t", "to", ..., "toy s", ...). */
function keystrokes(title: string): string[] {
  const text = title.toLowerCase();
  const out: string[] = [];
  for (let end = 1; end <= text.length; end++) out.push(text.slice(0, end));
  return out;
}

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

    const random = createRandom(7);
    const queries: string[] = [];
    while (queries.length < WARMUP + REQUESTS) {
      const document = dataset.documents[random.nextInt(dataset.documents.length)]!;
      queries.push(...keystrokes(document.title));
    }
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
    const line = (label: string, value: string): void => console.log(`${label.padEnd(28)}${value}`);
    line('machine', `${cpus().length} cpus, node ${process.version}`);
    line('corpus', `${dataset.name}, loaded in ${loadSeconds.toFixed(1)} s through the API`);
    line(
      'requests',
      `${latencies.length} measured (${WARMUP} warm-up), ${CLIENTS} client(s), ${failures} failed`,
    );
    line('throughput', `${(latencies.length / measureSeconds).toFixed(0)} requests/s`);
    line('p50', `${percentile(latencies, 50).toFixed(3)} ms`);
    line('p90', `${percentile(latencies, 90).toFixed(3)} ms`);
    line('p99', `${percentile(latencies, 99).toFixed(3)} ms`);
    line('max', `${Math.max(...latencies).toFixed(3)} ms`);
    line('acceptance (p99 ≤ 5 ms)', percentile(latencies, 99) <= 5 ? 'met' : 'NOT met');
    line('total run', `${((performance.now() - started) / 1000).toFixed(1)} s`);
    client.close();
  } finally {
    json.close();
    await server.stop();
    dataDir.remove();
  }
}

await main();
