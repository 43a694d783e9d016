import type { Analyzer } from './analyzer.js';
import { analyzeWords } from './analyzer.js';

/**
 * Groups of interchangeable words ("tv", "television"), applied to the query only, so a
 * change of groups needs no reindexing. Entries are matched by stem, so "sofas" finds
 * the group of "couch". Each entry must analyze to a single word.
 */
export class Synonyms {
  private readonly byStem = new Map<string, string[]>();

  constructor(
    groups: readonly (readonly string[])[],
    private readonly analyzer: Analyzer,
  ) {
    for (const group of groups) {
      const words = group.map((entry) => {
        const analyzed = analyzeWords(analyzer, entry);
        if (analyzed.length !== 1) throw new Error(`synonym "${entry}" must be a single word`);
        return analyzed[0] as string;
      });
      for (const word of words) {
        const key = analyzer.stem(word);
        const others = this.byStem.get(key) ?? [];
        for (const other of words) {
          if (analyzer.stem(other) !== key && !others.includes(other)) others.push(other);
        }
        this.byStem.set(key, others);
      }
    }
  }

  get size(): number {
    return this.byStem.size;
  }

  /** Normalized words interchangeable with `word`, itself excluded. */
  of(word: string): readonly string[] {
    return this.byStem.get(this.analyzer.stem(word)) ?? [];
  }
}
