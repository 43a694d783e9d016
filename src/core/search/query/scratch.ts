/**
 * Per-document working arrays for one query at a time, kept between queries so a search
 * allocates nothing proportional to the catalog. Every user clears what it touched
 * (through the doc lists) instead of refilling whole arrays.
 */
export class QueryScratch {
  /** Saturation input of the term being scored (BM25F sums fields before saturating). */
  tfAcc = new Float64Array(0);
  /** Best score of the query word being scored, over its derivations. */
  wordScore = new Float64Array(0);
  /** Sum of word scores. */
  total = new Float64Array(0);
  /** Bit i set when query word i matched. */
  mask = new Uint32Array(0);
  /** 0 unknown, 1 accepted by the filter, 2 rejected. */
  filterMemo = new Uint8Array(0);
  termDocs = new Int32Array(0);
  wordDocs = new Int32Array(0);
  candidates = new Int32Array(0);
  candidateCount = 0;

  ensure(capacity: number): void {
    if (this.total.length >= capacity) return;
    this.tfAcc = new Float64Array(capacity);
    this.wordScore = new Float64Array(capacity);
    this.total = new Float64Array(capacity);
    this.mask = new Uint32Array(capacity);
    this.filterMemo = new Uint8Array(capacity);
    this.termDocs = new Int32Array(capacity);
    this.wordDocs = new Int32Array(capacity);
    this.candidates = new Int32Array(capacity);
  }

  /** Clears what the last query left in the per-candidate arrays. */
  release(): void {
    for (let i = 0; i < this.candidateCount; i++) {
      const doc = this.candidates[i]!;
      this.total[doc] = 0;
      this.mask[doc] = 0;
      this.filterMemo[doc] = 0;
    }
    this.candidateCount = 0;
  }
}
