import type { InvertedIndex } from '../inverted-index/inverted-index.js';
import { TITLE_FIELD } from '../inverted-index/fields.js';
import type { ExpandedWord } from './expand.js';
import type { TermMatchMap } from './term-match-map.js';

/** How far above its text score each signal can lift a document (multiplicative). */
export const RERANK_BONUS = {
  /** Query words next to each other, in order, as in the query. */
  proximity: 0.3,
  /**
   * How fully query and title cover each other: the share of title words the query
   * matched times the share of query words found in the title.
   */
  titleCoverage: 0.35,
  /** The title is the query, word for word. */
  exactTitle: 0.5,
} as const;

/**
 * Phrase and title signals, computed from documents' forward lists for the few best
 * candidates only (positions are not stored in the postings).
 */
export class Reranker {
  private lastSeen = new Int32Array(32);
  private pairBest = new Float64Array(32);
  private readonly queryGap: number[] = [];
  private pairCount = 0;
  private wordCount = 0;
  private maxWeight = 1;

  constructor(
    private readonly index: InvertedIndex,
    private readonly terms: TermMatchMap,
  ) {}

  /**
   * Prepares for a query: pairs each word with the one before it. Stop words take part
   * ("enter the dragon" is closer to "Enter the Dragon" than to "Last Dragon, The"); they
   * are matched in titles only, so elsewhere they simply leave a pair unmatched.
   */
  prepare(words: readonly ExpandedWord[]): void {
    this.wordCount = words.length;
    this.queryGap.length = 0;
    words.forEach(({ word }, i) => {
      this.queryGap.push(i > 0 ? word.position - (words[i - 1] as ExpandedWord).word.position : 0);
    });
    this.pairCount = Math.max(0, words.length - 1);
    let maxWeight = 0;
    for (let field = 0; field < this.index.fields.count; field++)
      maxWeight = Math.max(maxWeight, this.index.fields.weight(field));
    this.maxWeight = maxWeight || 1;
  }

  private notePair(later: number, strength: number): void {
    if (strength > this.pairBest[later]!) this.pairBest[later] = strength;
  }

  /** The factor (>= 1) to multiply the document's text score by. */
  multiplier(doc: number): number {
    const forward = this.index.forward;
    const length = forward.length(doc);
    if (length === 0) return 1;
    const data = forward.data;
    const from = forward.offset(doc);
    const matchedMask = this.terms.matched;
    const exactMask = this.terms.exact;
    const lastSeen = this.lastSeen;
    const pairBest = this.pairBest;
    pairBest.fill(0, 0, this.wordCount);
    let field = -1;
    let position = 0;
    let titleWords = 0;
    let titleCovered = 0;
    let wordsInTitle = 0;
    let titleExact = true;
    let fieldFactor = 0;
    for (let k = from; k < from + length; k++) {
      const value = data[k]!;
      if (value < 0) {
        field = -value - 1;
        position = 0;
        lastSeen.fill(-1, 0, this.wordCount);
        fieldFactor = this.index.fields.weight(field) / this.maxWeight;
        continue;
      }
      const matched = matchedMask[value]!;
      if (field === TITLE_FIELD) {
        if (titleExact && ((exactMask[value]! >>> titleWords) & 1) === 0) titleExact = false;
        titleWords++;
        if (matched !== 0) titleCovered++;
        wordsInTitle |= matched;
      }
      if (matched !== 0) {
        for (let i = 0; i < this.wordCount; i++) {
          if (((matched >>> i) & 1) === 0) continue;
          // Pair (i - 1, i) in query order: adjacent as in the query scores 1.
          if (i > 0 && lastSeen[i - 1]! >= 0) {
            const gap = position - lastSeen[i - 1]!;
            if (gap > 0) this.notePair(i, closeness(gap, this.queryGap[i]!) * fieldFactor);
          }
          // Pair (i, i + 1) seen the other way round scores half.
          if (i + 1 < this.wordCount && lastSeen[i + 1]! >= 0) {
            const gap = position - lastSeen[i + 1]!;
            if (gap > 0)
              this.notePair(i + 1, 0.5 * closeness(gap, this.queryGap[i + 1]!) * fieldFactor);
          }
        }
        for (let i = 0; i < this.wordCount; i++)
          if (((matched >>> i) & 1) !== 0) lastSeen[i] = position;
      }
      position++;
    }
    let proximity = 0;
    if (this.pairCount > 0) {
      for (let i = 0; i < this.wordCount; i++) proximity += pairBest[i]!;
      proximity /= this.pairCount;
    }
    const coverage =
      titleWords > 0 ? (titleCovered / titleWords) * (bitCount(wordsInTitle) / this.wordCount) : 0;
    const exact = titleExact && titleWords === this.wordCount && titleWords > 0 ? 1 : 0;
    return (
      1 +
      RERANK_BONUS.proximity * proximity +
      RERANK_BONUS.titleCoverage * coverage +
      RERANK_BONUS.exactTitle * exact
    );
  }
}

function bitCount(mask: number): number {
  let count = 0;
  for (let rest = mask >>> 0; rest !== 0; rest &= rest - 1) count++;
  return count;
}

/** 1 when two words are as far apart as in the query, less the more that differs. */
function closeness(gap: number, expected: number): number {
  return 1 / (1 + Math.abs(gap - expected));
}
