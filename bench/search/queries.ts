import { createRandom, type Random } from '../../src/core/models/random.js';
import type { BenchDocument } from './documents.js';

export type QueryKind = 'plain' | 'typo' | 'prefix' | 'filter+facet';
export const QUERY_KINDS: readonly QueryKind[] = ['plain', 'typo', 'prefix', 'filter+facet'];

export type KnownItemVariant = 'typos' | 'missing word' | 'truncated';
export const KNOWN_ITEM_VARIANTS: readonly KnownItemVariant[] = [
  'typos',
  'missing word',
  'truncated',
];

export interface KnownItemQuery {
  readonly text: string;
  readonly variant: KnownItemVariant;
  /** Normalized title of the item sought: any document with this title counts as found. */
  readonly title: string;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Title words as people type them: lowercase, without accents or punctuation, but with
 * apostrophes inside words kept ("i'm"), so each engine splits them its own way.
 */
function words(title: string): string[] {
  return title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .split(/[^\p{L}\p{N}'’]+/u)
    .map((word) => word.replace(/^['’]+|['’]+$/g, ''))
    .filter((word) => word.length > 0);
}

export function normalizedTitle(title: string): string {
  return words(title).join(' ');
}

/** One random edit: substitution, deletion, insertion or transposition of neighbours. */
export function addTypo(word: string, random: Random): string {
  for (;;) {
    const at = random.nextInt(word.length);
    const letter = LETTERS[random.nextInt(LETTERS.length)]!;
    let typo: string;
    switch (random.nextInt(4)) {
      case 0:
        typo = word.slice(0, at) + letter + word.slice(at + 1);
        break;
      case 1:
        typo = word.slice(0, at) + word.slice(at + 1);
        break;
      case 2:
        typo = word.slice(0, at) + letter + word.slice(at);
        break;
      default:
        if (at + 1 >= word.length) continue;
        typo = word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
    }
    if (typo !== word) return typo;
  }
}

/** Edits allowed in a word of this length, the same rule every engine is set up with. */
export function typoAllowance(length: number): number {
  return length <= 4 ? 0 : length <= 8 ? 1 : 2;
}

/** Adds `count` typos (1 or 2) to words long enough to tolerate them; null if none is. */
function withTypos(list: string[], count: number, random: Random): string[] | null {
  const out = [...list];
  const budget = out.map((word) => typoAllowance(word.length));
  let added = 0;
  for (let attempt = 0; attempt < 20 && added < count; attempt++) {
    const at = random.nextInt(out.length);
    if (budget[at]! <= 0) continue;
    out[at] = addTypo(out[at]!, random);
    budget[at]!--;
    added++;
  }
  return added === 0 ? null : out;
}

function truncateLast(list: string[], random: Random): string[] | null {
  const last = list[list.length - 1]!;
  if (last.length < 4) return null;
  return [...list.slice(0, -1), last.slice(0, 2 + random.nextInt(last.length - 2))];
}

/** 1-3 consecutive words of a random title. */
function span(documents: readonly BenchDocument[], random: Random): string[] {
  for (;;) {
    const list = words(documents[random.nextInt(documents.length)]!.title);
    if (list.length === 0) continue;
    const length = Math.min(list.length, 1 + random.nextInt(3));
    const start = random.nextInt(list.length - length + 1);
    return list.slice(start, start + length);
  }
}

/** Latency workload: `count` queries of a kind, built from titles. */
export function latencyQueries(
  documents: readonly BenchDocument[],
  kind: QueryKind,
  count: number,
  seed: number,
): string[] {
  const random = createRandom(seed);
  const queries: string[] = [];
  while (queries.length < count) {
    const list = span(documents, random);
    const query =
      kind === 'typo'
        ? withTypos(list, 1 + random.nextInt(2), random)
        : kind === 'prefix'
          ? truncateLast(list, random)
          : list;
    if (query) queries.push(query.join(' '));
  }
  return queries;
}

/** Prefixes of titles as typed key by key: "t", "to", "toy", "toy s", ... */
export function typingQueries(
  documents: readonly BenchDocument[],
  count: number,
  seed: number,
): string[] {
  const random = createRandom(seed);
  const queries: string[] = [];
  while (queries.length < count) {
    const text = words(documents[random.nextInt(documents.length)]!.title).slice(0, 3).join(' ');
    for (let end = 1; end <= text.length && queries.length < count; end++) {
      if (text[end - 1] !== ' ') queries.push(text.slice(0, end));
    }
  }
  return queries;
}

/**
 * Known-item queries: a title with one or two typos, with a word missing, or with its
 * last word cut short, for `items` random items (each variant when the title allows).
 */
export function knownItemQueries(
  documents: readonly BenchDocument[],
  items: number,
  seed: number,
): KnownItemQuery[] {
  const random = createRandom(seed);
  const queries: KnownItemQuery[] = [];
  const wanted = items * KNOWN_ITEM_VARIANTS.length;
  for (let guard = 0; queries.length < wanted && guard < wanted * 20; guard++) {
    const document = documents[random.nextInt(documents.length)]!;
    const list = words(document.title);
    if (list.length < 2) continue;
    const variant = KNOWN_ITEM_VARIANTS[queries.length % KNOWN_ITEM_VARIANTS.length]!;
    let query: string[] | null = null;
    if (variant === 'typos') query = withTypos(list, 1 + random.nextInt(2), random);
    else if (variant === 'truncated') query = truncateLast(list, random);
    else if (list.length >= 3) {
      const drop = random.nextInt(list.length);
      query = list.filter((_, i) => i !== drop);
    }
    if (query) queries.push({ text: query.join(' '), variant, title: list.join(' ') });
  }
  return queries;
}
