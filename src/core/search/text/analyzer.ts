import { foldCase, isAscii, stripApostrophes } from './fold.js';
import { porter2 } from './porter2.js';
import { ENGLISH_STOP_WORDS } from './stop-words-en.js';
import { forEachRawWord } from './tokenizer.js';

/** Receives one normalized word and where its raw form sits in the analyzed text. */
export type WordVisitor = (word: string, start: number, end: number) => void;

/**
 * Everything language-specific about matching text. The index stores the normalized
 * words (so typo and prefix matching see what people type) and asks for stems only to
 * group inflections, so swapping the analyzer changes matching without touching the
 * index structures.
 */
export interface Analyzer {
  /** Part of the index fingerprint: an index built by another analyzer is rebuilt. */
  readonly language: string;
  /** Visits each word of `text`, normalized, with UTF-16 offsets into `text`. */
  forEachWord(text: string, visit: WordVisitor): void;
  /** Function words a query does not need to match. */
  isStopWord(word: string): boolean;
  /** The shared root of inflected forms ("running", "runs" -> "run"). */
  stem(word: string): string;
}

/** Normalized words of `text`, in order; for callers that do not need offsets. */
export function analyzeWords(analyzer: Analyzer, text: string): string[] {
  const words: string[] = [];
  analyzer.forEachWord(text, (word) => words.push(word));
  return words;
}

/** Words of lowercased ASCII text: the common case, matched without Unicode classes. */
const ASCII_WORD = /[a-z0-9]+(?:'[a-z0-9]+)*/g;

export class EnglishAnalyzer implements Analyzer {
  readonly language = 'en';

  forEachWord(text: string, visit: WordVisitor): void {
    if (isAscii(text)) {
      // Lowercasing ASCII keeps every offset, so the whole text is folded at once.
      const lower = text.toLowerCase();
      let from = 0;
      for (;;) {
        ASCII_WORD.lastIndex = from;
        const match = ASCII_WORD.exec(lower);
        if (match === null) return;
        from = match.index + match[0].length;
        let word = match[0];
        if (word.indexOf("'") >= 0) {
          if (word.endsWith("'s")) word = word.slice(0, -2);
          word = stripApostrophes(word);
        }
        visit(word, match.index, from);
      }
    }
    forEachRawWord(text, (raw, start, end) => {
      let word = foldCase(raw);
      // The possessive adds nothing to matching: "Schindler's" is found as "schindler".
      if (word.endsWith("'s") || word.endsWith('’s')) word = word.slice(0, -2);
      word = stripApostrophes(word);
      if (word.length > 0) visit(word, start, end);
    });
  }

  isStopWord(word: string): boolean {
    return ENGLISH_STOP_WORDS.has(word);
  }

  stem(word: string): string {
    return porter2(word);
  }
}
