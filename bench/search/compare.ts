// Kindred's search index against MiniSearch and Orama on the same documents and queries:
// indexing throughput, heap, latency percentiles per query kind, known-item MRR@10.
// MiniSearch and Orama are optional dev dependencies, loaded at run time.
// Usage: node build/bench/search/compare.js [--products N] [--queries N] [--known-items N]
//        [--passes N] [--budget SECONDS] [--mrr-budget SECONDS] [--datasets movielens,products]
//        [--engines kindred,minisearch,orama]
// --budget bounds each engine's time per workload (Orama needs seconds per query on the
// 100,000-product corpus); tables say how many queries were measured when it ran out.
import { parseArgs } from 'node:util';
import type { BenchDataset } from './documents.js';
import { KindredEngine, MiniSearchEngine, OramaEngine, type BenchEngine } from './engines.js';
import { formatMs, formatTable, heapUsed, measureLatency, type LatencySummary } from './measure.js';
import { loadMovieLens } from './movielens.js';
import { generateProducts } from './products.js';
import {
  KNOWN_ITEM_VARIANTS,
  knownItemQueries,
  latencyQueries,
  normalizedTitle,
  QUERY_KINDS,
  typingQueries,
  type KnownItemQuery,
  type QueryKind,
} from './queries.js';

const { values } = parseArgs({
  options: {
    products: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '1000' },
    'known-items': { type: 'string', default: '300' },
    datasets: { type: 'string', default: 'movielens,products' },
    engines: { type: 'string', default: 'kindred,minisearch,orama' },
    passes: { type: 'string', default: '5' },
    budget: { type: 'string', default: '60' },
    'mrr-budget': { type: 'string', default: '120' },
    root: { type: 'string', default: process.cwd() },
  },
});
const queryCount = Number(values.queries);
const knownItems = Number(values['known-items']);
const protocol = { passes: Number(values.passes), budgetMs: Number(values.budget) * 1000 };

interface EngineReport {
  readonly engine: BenchEngine;
  readonly docsPerSecond: number;
  readonly heapMiB: number;
  readonly latency: ReadonlyMap<QueryKind, LatencySummary>;
  /** Reciprocal rank per known-item query, in order, as far as the budget allowed. */
  readonly reciprocalRanks: readonly number[];
  readonly autocomplete?: LatencySummary;
}

/**
 * Each library in the setup that gave it the best known-item MRR in trials on these
 * datasets: MiniSearch combining words with OR (0.94 against 0.83 with AND on
 * MovieLens), Orama requiring all words (threshold 0: 0.63 against 0.41 with 1).
 * "minisearch-and" and "orama-or" select the other setups.
 */
function makeEngines(): (() => BenchEngine)[] {
  const wanted = values.engines.split(',');
  const factories: (() => BenchEngine)[] = [];
  if (wanted.includes('kindred')) factories.push(() => new KindredEngine());
  if (wanted.includes('minisearch')) factories.push(() => new MiniSearchEngine('OR'));
  if (wanted.includes('minisearch-and')) factories.push(() => new MiniSearchEngine('AND'));
  if (wanted.includes('orama')) factories.push(() => new OramaEngine(0));
  if (wanted.includes('orama-or')) factories.push(() => new OramaEngine(1));
  return factories;
}

/** Per known-item query, 1 / rank of the first hit with the sought title (0 past rank 10). */
async function reciprocalRanks(
  engine: BenchEngine,
  dataset: BenchDataset,
  queries: readonly KnownItemQuery[],
): Promise<number[]> {
  const ranks: number[] = [];
  const deadline = performance.now() + Number(values['mrr-budget']) * 1000;
  for (const query of queries) {
    if (ranks.length >= 30 && performance.now() > deadline) break;
    const ranked = await engine.search(query.text);
    const rank = ranked.findIndex(
      (id) => normalizedTitle(dataset.documents[id]?.title ?? '') === query.title,
    );
    ranks.push(rank >= 0 && rank < 10 ? 1 / (rank + 1) : 0);
  }
  return ranks;
}

function meanReciprocalRank(
  ranks: readonly number[],
  queries: readonly KnownItemQuery[],
  variant: string,
  count: number,
): number {
  let total = 0;
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (variant !== 'all' && queries[i]?.variant !== variant) continue;
    total += ranks[i] ?? 0;
    n++;
  }
  return n === 0 ? NaN : total / n;
}

async function benchmark(
  dataset: BenchDataset,
  known: readonly KnownItemQuery[],
): Promise<EngineReport[]> {
  const workloads = new Map(
    QUERY_KINDS.map((kind, i) => [
      kind,
      latencyQueries(dataset.documents, kind, queryCount, 100 + i),
    ]),
  );
  const typing = typingQueries(dataset.documents, queryCount, 11);
  const reports: EngineReport[] = [];
  // One engine at a time, so each one's garbage and heap size affect only its own numbers.
  for (const makeEngine of makeEngines()) {
    // A throw-away build of a sample first, so no engine's throughput includes compiling
    // its indexing code.
    await makeEngine().build({ ...dataset, documents: dataset.documents.slice(0, 2000) });
    const engine = makeEngine();
    const before = heapUsed();
    const started = performance.now();
    await engine.build(dataset);
    const seconds = (performance.now() - started) / 1000;
    const heapMiB = (heapUsed() - before) / 2 ** 20;
    const latency = new Map<QueryKind, LatencySummary>();
    for (const kind of QUERY_KINDS) {
      const queries = workloads.get(kind) as string[];
      latency.set(
        kind,
        await measureLatency(
          queries,
          (q) => (kind === 'filter+facet' ? engine.searchFiltered(q) : engine.search(q)),
          protocol,
        ),
      );
    }
    const ranks = await reciprocalRanks(engine, dataset, known);
    const autocomplete =
      engine instanceof KindredEngine
        ? await measureLatency(typing, (q) => engine.suggest(q), protocol)
        : undefined;
    reports.push({
      engine,
      docsPerSecond: dataset.documents.length / seconds,
      heapMiB,
      latency,
      reciprocalRanks: ranks,
      ...(autocomplete ? { autocomplete } : {}),
    });
    console.error(`  ${dataset.name}: ${engine.name} done (built in ${seconds.toFixed(2)} s)`);
  }
  return reports;
}

function printReports(
  dataset: BenchDataset,
  known: readonly KnownItemQuery[],
  reports: readonly EngineReport[],
): void {
  console.log(
    `\n## ${dataset.name}: ${dataset.documents.length.toLocaleString('en-US')} documents\n`,
  );
  console.log(
    formatTable(
      ['engine', 'index docs/s', 'heap MiB', ...QUERY_KINDS.map((k) => `${k} p50 / p99 ms`)],
      reports.map((r) => [
        r.engine.name,
        Math.round(r.docsPerSecond).toLocaleString('en-US'),
        r.heapMiB.toFixed(1),
        ...QUERY_KINDS.map((k) => {
          const l = r.latency.get(k) as LatencySummary;
          const partial = l.count < queryCount ? ` (n=${l.count})` : '';
          return `${formatMs(l.p50)} / ${formatMs(l.p99)}${partial}`;
        }),
      ]),
    ),
  );
  console.log(
    '\nKnown-item MRR@10 (a title with 1-2 typos, a missing word, or its last word cut short; ' +
      'n = queries answered within the budget, taken in the same order by every engine):\n',
  );
  console.log(
    formatTable(
      ['engine', 'n', 'all', ...KNOWN_ITEM_VARIANTS],
      reports.map((r) => {
        const n = r.reciprocalRanks.length;
        return [
          r.engine.name,
          String(n),
          ...['all', ...KNOWN_ITEM_VARIANTS].map((k) =>
            meanReciprocalRank(r.reciprocalRanks, known, k, n).toFixed(3),
          ),
        ];
      }),
    ),
  );
  const kindred = reports.find((r) => r.engine instanceof KindredEngine);
  for (const r of reports) {
    const n = r.reciprocalRanks.length;
    if (!kindred || r === kindred || n >= kindred.reciprocalRanks.length) continue;
    console.log(
      `On the same first ${n} queries: ${kindred.engine.name} ` +
        `${meanReciprocalRank(kindred.reciprocalRanks, known, 'all', n).toFixed(3)}, ` +
        `${r.engine.name} ${meanReciprocalRank(r.reciprocalRanks, known, 'all', n).toFixed(3)}`,
    );
  }
  for (const r of reports) {
    if (r.autocomplete)
      console.log(
        `\n${r.engine.name} autocomplete (query suggestions + item completions, titles typed key by key): ` +
          `p50 ${formatMs(r.autocomplete.p50)} ms, p99 ${formatMs(r.autocomplete.p99)} ms`,
      );
  }
  console.log('\nSetups:');
  for (const r of reports) console.log(`- ${r.engine.name}: ${r.engine.setup}`);
}

const datasets = values.datasets.split(',');
console.log(
  `# Search comparison: ${queryCount} queries per kind, ${knownItems} known items x ${KNOWN_ITEM_VARIANTS.length} variants; ` +
    `latency = per-query median of ${protocol.passes} passes, budget ${values.budget} s per engine and workload; ` +
    `node ${process.version}`,
);
const selected: BenchDataset[] = [];
if (datasets.includes('movielens')) selected.push(loadMovieLens(values.root));
if (datasets.includes('products')) selected.push(generateProducts(Number(values.products)));
for (const dataset of selected) {
  const known = knownItemQueries(dataset.documents, knownItems, 7);
  printReports(dataset, known, await benchmark(dataset, known));
}
