// One inverted-file index search, WebAssembly SIMD row scoring against the plain
// JavaScript fallback in the same run: random 32-factor rows, an index the size of one
// category of the serving benchmark (6,500 items) and one of its whole catalog (100,000),
// k = 10, 30, 100, a blocked set, default probing. Both paths return the same items.
// Usage: node build/bench/models/ivf-search.js [--queries N]
import { parseArgs } from 'node:util';
import { IvfSearcher, buildIvfIndex } from '../../src/core/models/ivf.js';
import { createRandom } from '../../src/core/models/random.js';

const { values } = parseArgs({ options: { queries: { type: 'string', default: '2000' } } });
const queries = Number(values.queries);
const FACTORS = 32;
const random = createRandom(3);
const blocked = { has: (item: number): boolean => item % 97 === 0 };

function timeSearches(searcher: IvfSearcher, k: number, seed: number): { us: number; ids: string } {
  const query = new Float32Array(FACTORS);
  const local = createRandom(seed);
  const draw = (): void => {
    for (let f = 0; f < FACTORS; f++) query[f] = local.next() - 0.5;
  };
  for (let i = 0; i < 200; i++) {
    draw();
    searcher.search(query, k, blocked);
  }
  let ids = '';
  const started = performance.now();
  for (let i = 0; i < queries; i++) {
    draw();
    const found = searcher.search(query, k, blocked);
    if (i < 20) ids += found.indices.join(',') + ';';
  }
  return { us: ((performance.now() - started) / queries) * 1000, ids };
}

console.log('| items | k | JavaScript µs/search | SIMD µs/search | ratio | same items |');
console.log('| ---: | ---: | ---: | ---: | ---: | --- |');
for (const items of [6500, 100_000]) {
  const rows = new Float32Array(items * FACTORS);
  for (let i = 0; i < rows.length; i++) rows[i] = random.next() - 0.5;
  const index = buildIvfIndex(rows, items, FACTORS);
  const plain = new IvfSearcher(index, { simd: false });
  const simd = new IvfSearcher(index);
  for (const k of [10, 30, 100]) {
    const a = timeSearches(plain, k, k);
    const b = timeSearches(simd, k, k);
    console.log(
      `| ${items} | ${k} | ${a.us.toFixed(1)} | ${b.us.toFixed(1)} | ${(a.us / b.us).toFixed(2)} | ${a.ids === b.ids ? 'yes' : 'NO'} |`,
    );
  }
}
