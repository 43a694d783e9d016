import type { InvertedIndex } from './inverted-index.js';
import { TITLE_FIELD } from './fields.js';

/**
 * Per term, how many visible documents have it in their title: what query suggestions
 * rank completions by, ready without scanning postings (and blind to hidden items).
 */
export class TitleTermCounts {
  counts = new Int32Array(1024);
  private lastDoc = new Int32Array(1024);

  /** Adds `sign` for each distinct title term of `doc`, as the forward list has it now. */
  adjust(index: InvertedIndex, doc: number, sign: 1 | -1): void {
    const forward = index.forward;
    const length = forward.length(doc);
    if (length === 0) return;
    const data = forward.data;
    const from = forward.offset(doc);
    if (data[from] !== -(TITLE_FIELD + 1)) return;
    this.ensure(index.dictionary.size);
    // Stamps are doc + 1 so the zero-filled array means "not seen yet".
    const stamp = doc + 1;
    for (let k = from + 1; k < from + length; k++) {
      const term = data[k]!;
      if (term < 0) break;
      if (this.lastDoc[term] === stamp) continue;
      this.lastDoc[term] = stamp;
      this.counts[term]! += sign;
    }
    for (let k = from + 1; k < from + length && data[k]! >= 0; k++) this.lastDoc[data[k]!] = 0;
  }

  private ensure(terms: number): void {
    if (this.counts.length >= terms) return;
    const capacity = Math.max(terms, this.counts.length * 2);
    const counts = new Int32Array(capacity);
    counts.set(this.counts);
    this.counts = counts;
    this.lastDoc = new Int32Array(capacity);
  }
}
