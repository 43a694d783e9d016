import type { ExpandedWord } from './expand.js';

/**
 * For the query being run, a bitmask per term of the query words it stands for:
 * `matched` through any derivation, `exact` as the word typed, an inflection or a
 * synonym. Proximity, title checks and highlighting read it per token.
 */
export class TermMatchMap {
  matched = new Uint32Array(0);
  exact = new Uint32Array(0);
  private readonly loaded: number[] = [];

  load(words: readonly ExpandedWord[], termCount: number): void {
    if (this.matched.length < termCount) {
      const capacity = Math.max(termCount, this.matched.length * 2);
      this.matched = new Uint32Array(capacity);
      this.exact = new Uint32Array(capacity);
    }
    words.forEach(({ derivations }, i) => {
      const bit = 1 << i;
      for (const { term, exact } of derivations) {
        if (this.matched[term] === 0) this.loaded.push(term);
        this.matched[term]! |= bit;
        if (exact) this.exact[term]! |= bit;
      }
    });
  }

  release(): void {
    for (const term of this.loaded) {
      this.matched[term] = 0;
      this.exact[term] = 0;
    }
    this.loaded.length = 0;
  }
}
