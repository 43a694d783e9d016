// Typo lookup cost: the sorted-dictionary trie walk against comparing the query word with
// every term, over vocabularies of growing size.
// Usage: node build/bench/search/fuzzy.js [--lookups N]
import { parseArgs } from 'node:util';
import { TermDictionary } from '../../src/core/search/inverted-index/term-dictionary.js';
import { boundedEditDistance, typoBudget } from '../../src/core/search/text/edit-distance.js';
import { porter2 } from '../../src/core/search/text/porter2.js';
import { formatTable } from './measure.js';
import { loadMovieLens } from './movielens.js';
import { generateProducts } from './products.js';
import { addTypo } from './queries.js';
import { createRandom } from '../../src/core/models/random.js';

const { values } = parseArgs({ options: { lookups: { type: 'string', default: '2000' } } });
const lookups = Number(values.lookups);

function vocabularyOf(texts: Iterable<string>): string[] {
  const words = new Set<string>();
  for (const text of texts)
    for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (word) words.add(word);
  return [...words];
}

/** Pseudo-words to reach a large vocabulary, like a big multilingual catalog's. */
function syntheticVocabulary(size: number): string[] {
  const random = createRandom(5);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = new Set<string>();
  while (words.size < size) {
    let word = '';
    const length = 3 + random.nextInt(10);
    for (let i = 0; i < length; i++) word += letters[random.nextInt(26)];
    words.add(word);
  }
  return [...words];
}

function measure(name: string, vocabulary: readonly string[]): string[] {
  const dictionary = new TermDictionary(porter2);
  for (const term of vocabulary) dictionary.intern(term);
  const random = createRandom(9);
  // Distinct words, so every lookup walks (the dictionary caches repeated lookups).
  const unique = new Set<string>();
  for (let guard = 0; unique.size < lookups && guard < lookups * 20; guard++) {
    const word = vocabulary[random.nextInt(vocabulary.length)] as string;
    if (typoBudget(word.length) > 0) unique.add(addTypo(word, random));
  }
  const queries = [...unique];
  dictionary.forEachWithin('warmup', 1, () => undefined);
  let found = 0;
  let started = performance.now();
  for (const query of queries)
    dictionary.forEachWithin(query, typoBudget(query.length), () => found++);
  const walk = (performance.now() - started) / queries.length;
  let scanned = 0;
  started = performance.now();
  for (const query of queries) {
    const budget = typoBudget(query.length);
    for (const term of vocabulary)
      if (boundedEditDistance(query, term, budget) <= budget) scanned++;
  }
  const scan = (performance.now() - started) / queries.length;
  if (found !== scanned) throw new Error(`walk found ${found} matches, the scan ${scanned}`);
  return [
    name,
    vocabulary.length.toLocaleString('en-US'),
    (walk * 1000).toFixed(1),
    (scan * 1000).toFixed(1),
    `${(scan / walk).toFixed(1)}x`,
  ];
}

const movies = loadMovieLens(process.cwd());
const products = generateProducts(100_000);
const rows = [
  measure('MovieLens titles', vocabularyOf(movies.documents.map((d) => d.title))),
  measure(
    'Products (100k)',
    vocabularyOf(products.documents.flatMap((d) => [d.title, d.description, d.brand])),
  ),
  measure('Synthetic', syntheticVocabulary(200_000)),
];
console.log(`Typo lookup (1-2 typos by word length), ${lookups} misspelt words per vocabulary:\n`);
console.log(formatTable(['vocabulary', 'terms', 'trie walk µs', 'full scan µs', 'speed-up'], rows));
