import type { Analyzer } from '../text/analyzer.js';

export interface QueryWord {
  /** Normalized as the index normalizes. */
  readonly text: string;
  /** Index among the query's words, stop words included (for phrase distances). */
  readonly position: number;
  /** A function word the query does not require. */
  readonly stop: boolean;
  /** The word being typed: it may be the beginning of a longer word. */
  readonly prefix: boolean;
}

/** Words past this are ignored: they add latency but hardly change the ranking. */
export const MAX_QUERY_WORDS = 12;

/**
 * Splits a query into words. The last word is a prefix when `prefixLast` is set and
 * nothing follows it (a trailing space or punctuation means the person finished it).
 * When every word is a stop word, none is treated as one, so "the who" still matches.
 */
export function parseQuery(query: string, analyzer: Analyzer, prefixLast: boolean): QueryWord[] {
  const raw: { text: string; end: number }[] = [];
  analyzer.forEachWord(query, (text, _start, end) => {
    if (raw.length < MAX_QUERY_WORDS) raw.push({ text, end });
  });
  const allStop = raw.every((word) => analyzer.isStopWord(word.text));
  return raw.map((word, position) => ({
    text: word.text,
    position,
    stop: !allStop && analyzer.isStopWord(word.text),
    prefix: prefixLast && position === raw.length - 1 && word.end === query.length,
  }));
}
