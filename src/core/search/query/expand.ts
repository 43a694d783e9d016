import type { TermDictionary } from '../inverted-index/term-dictionary.js';
import type { Analyzer } from '../text/analyzer.js';
import { typoBudget } from '../text/edit-distance.js';
import type { Synonyms } from '../text/synonyms.js';
import type { QueryWord } from './parse-query.js';

/**
 * How much a match through each kind of derivation is worth relative to the word as
 * typed. Exact words outrank every looser match of the same strength.
 */
export const MATCH_WEIGHTS = {
  exact: 1,
  stem: 0.9,
  synonym: 0.85,
  /** A completion is worth more the more of it was typed; see `prefixWeight`. */
  prefixMin: 0.55,
  prefixMax: 0.85,
  oneTypo: 0.45,
  twoTypos: 0.25,
} as const;

/** More completions than this keep only the most frequent: "s" alone would pull in thousands. */
export const MAX_PREFIX_EXPANSIONS = 256;

/** One indexed term a query word matches, and how. */
export interface Derivation {
  readonly term: number;
  readonly weight: number;
  /** The word itself, an inflection or a synonym: no typo, no completion. */
  readonly exact: boolean;
  /** Stop words are looked up in titles only: elsewhere they are noise, and long lists. */
  readonly titleOnly: boolean;
}

export interface ExpandedWord {
  readonly word: QueryWord;
  readonly derivations: readonly Derivation[];
}

export interface ExpansionContext {
  readonly dictionary: TermDictionary;
  readonly analyzer: Analyzer;
  readonly synonyms: Synonyms;
  readonly typos: boolean;
  /** Default `MAX_PREFIX_EXPANSIONS`. */
  readonly maxPrefixExpansions?: number;
}

export function prefixWeight(typed: number, completed: number): number {
  const { prefixMin, prefixMax } = MATCH_WEIGHTS;
  return prefixMin + (prefixMax - prefixMin) * (typed / completed);
}

/** The indexed terms a query word stands for, each once, at its best weight. */
export function expandWord(word: QueryWord, context: ExpansionContext): ExpandedWord {
  const { dictionary, analyzer } = context;
  const df = dictionary.df;
  const best = new Map<number, Derivation>();
  const offer = (term: number, weight: number, exact: boolean, titleOnly: boolean): void => {
    if (df[term]! <= 0) return;
    const previous = best.get(term);
    if (previous === undefined || previous.weight < weight)
      best.set(term, { term, weight, exact, titleOnly });
  };

  const exactTerm = dictionary.idOf(word.text);
  if (exactTerm !== undefined) offer(exactTerm, MATCH_WEIGHTS.exact, true, word.stop);
  if (!word.stop) {
    for (const term of dictionary.withStem(analyzer.stem(word.text)))
      offer(term, MATCH_WEIGHTS.stem, true, false);
    for (const synonym of context.synonyms.of(word.text)) {
      const term = dictionary.idOf(synonym);
      if (term !== undefined) offer(term, MATCH_WEIGHTS.synonym, true, false);
      for (const variant of dictionary.withStem(analyzer.stem(synonym)))
        offer(variant, MATCH_WEIGHTS.synonym * MATCH_WEIGHTS.stem, true, false);
    }
  }
  if (word.prefix) {
    const completions: number[] = [];
    dictionary.forEachWithPrefix(word.text, (term) => {
      if (term !== exactTerm && df[term]! > 0) completions.push(term);
    });
    const cap = context.maxPrefixExpansions ?? MAX_PREFIX_EXPANSIONS;
    if (completions.length > cap) {
      completions.sort((a, b) => df[b]! - df[a]! || a - b);
      completions.length = cap;
    }
    for (const term of completions)
      offer(term, prefixWeight(word.text.length, dictionary.term(term).length), false, false);
  }
  const budget = context.typos && !word.stop ? typoBudget(word.text.length) : 0;
  if (budget > 0) {
    dictionary.forEachWithin(word.text, budget, (term, distance) => {
      if (distance > 0)
        offer(term, distance === 1 ? MATCH_WEIGHTS.oneTypo : MATCH_WEIGHTS.twoTypos, false, false);
    });
  }
  return { word, derivations: [...best.values()] };
}
