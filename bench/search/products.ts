import { createRandom, type Random } from '../../src/core/models/random.js';
import type { BenchDataset, BenchDocument } from './documents.js';

const CONSONANTS = 'bcdfghklmnprstvz';
const VOWELS = 'aeiou';
const CODAS = ['', '', '', 'n', 'r', 's', 'l', 't', 'x', 'ck', 'nd', 'st'];
/** Function words sprinkled through descriptions, as in real product copy. */
const FUNCTION_WORDS = ['the', 'and', 'with', 'for', 'of', 'a', 'in', 'to', 'your', 'is'];

/** Distinct pronounceable pseudo-words of 3-10 letters. */
function vocabulary(size: number, random: Random): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 1 + random.nextInt(3);
    let word = '';
    for (let s = 0; s < syllables; s++) {
      word +=
        CONSONANTS[random.nextInt(CONSONANTS.length)]! + VOWELS[random.nextInt(VOWELS.length)]!;
      if (random.next() < 0.35) word += CODAS[random.nextInt(CODAS.length)]!;
    }
    if (word.length >= 3 && word.length <= 10) words.add(word);
  }
  return [...words];
}

/** Samples ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent. */
function zipfSampler(n: number, exponent: number, random: Random): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / Math.pow(rank + 1, exponent);
    cdf[rank] = total;
  }
  return () => {
    const target = random.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * A synthetic catalog: titles of 3-7 words and descriptions of 20-60 words drawn with
 * a Zipf distribution from a 5,000-word vocabulary, 1-3 of 50 categories, one of 500
 * brands (also Zipf), a log-normal price. Seeded, so every run sees the same corpus.
 */
export function generateProducts(count: number, seed = 42): BenchDataset {
  const random = createRandom(seed);
  const words = vocabulary(5000, random);
  const word = zipfSampler(words.length, 1.0, random);
  const categories = Array.from(
    { length: 50 },
    (_, i) => `${capitalize(words[100 + i * 7]!)} ${capitalize(words[101 + i * 7]!)}`,
  );
  const category = zipfSampler(categories.length, 0.8, random);
  const brands = Array.from({ length: 500 }, (_, i) => capitalize(words[words.length - 1 - i]!));
  const brand = zipfSampler(brands.length, 1.1, random);
  const documents: BenchDocument[] = [];
  for (let id = 0; id < count; id++) {
    const titleWords = Array.from({ length: 3 + random.nextInt(5) }, () => words[word()]!);
    const descriptionWords = Array.from({ length: 20 + random.nextInt(41) }, () =>
      random.next() < 0.2 ? FUNCTION_WORDS[random.nextInt(FUNCTION_WORDS.length)]! : words[word()]!,
    );
    const chosen = new Set<string>();
    const categoryCount = 1 + random.nextInt(3);
    while (chosen.size < categoryCount) chosen.add(categories[category()]!);
    documents.push({
      id,
      title: titleWords.map(capitalize).join(' '),
      description: `${capitalize(descriptionWords.join(' '))}.`,
      categories: [...chosen],
      brand: brands[brand()]!,
      price: Math.round(Math.exp(3.5 + random.nextGaussian()) * 100) / 100,
      year: 0,
    });
  }
  return {
    name: `Products (${count.toLocaleString('en-US')}, generated)`,
    documents,
    textFields: ['description', 'brand'],
    facets: ['categories', 'brand'],
    filter: { attribute: 'price', below: 40 },
  };
}
