/**
 * Postings in two segments, like a log-structured merge tree with two levels:
 *
 * - main: immutable, built by `InvertedIndex.compact`. One list per (term, field),
 *   addressed through `offsets[term * fieldCount + field]`, holding document ids in
 *   increasing order (`docs`) and term frequencies (`tfs`), all in three typed arrays.
 * - delta: documents written since; per term a flat array of (doc, field, tf) triples.
 *
 * A document replaced or deleted after it went into main is flagged `stale`, and readers
 * skip its main entries at once; its new version lives in the delta. Compaction folds
 * the delta back into main and drops stale entries.
 */
export class PostingStore {
  termCount = 0;
  fieldCount = 0;
  offsets: Uint32Array = new Uint32Array(1);
  docs: Int32Array = new Int32Array(0);
  tfs: Uint16Array = new Uint16Array(0);
  /** 1 when main holds the document's entries (stale or not). */
  private inMain: Uint8Array = new Uint8Array(0);
  /** 1 when the document's main entries must be skipped. */
  stale: Uint8Array = new Uint8Array(0);
  private staleCount = 0;
  private mainDocCount = 0;

  readonly delta = new Map<number, number[]>();
  private inDelta: Uint8Array = new Uint8Array(0);
  private deltaEntryCount = 0;

  get mainEntries(): number {
    return this.docs.length;
  }

  get deltaEntries(): number {
    return this.deltaEntryCount;
  }

  /** When queries would spend more time on the delta and stale entries than a rebuild costs. */
  get needsCompaction(): boolean {
    return (
      this.deltaEntryCount > Math.max(65536, this.docs.length >>> 1) ||
      (this.staleCount > 1024 && this.staleCount * 4 > this.mainDocCount)
    );
  }

  ensureDoc(doc: number): void {
    if (doc < this.stale.length) return;
    let capacity = Math.max(1024, this.stale.length * 2);
    while (capacity <= doc) capacity *= 2;
    const grow = (array: Uint8Array): Uint8Array => {
      const bigger = new Uint8Array(capacity);
      bigger.set(array);
      return bigger;
    };
    this.stale = grow(this.stale);
    this.inMain = grow(this.inMain);
    this.inDelta = grow(this.inDelta);
  }

  /** Start of the main list of (term, field), or -1 when main has none. */
  mainKey(term: number, field: number): number {
    return term < this.termCount && field < this.fieldCount ? term * this.fieldCount + field : -1;
  }

  add(doc: number, terms: Int32Array, fields: Int32Array, tfs: Int32Array, count: number): void {
    this.ensureDoc(doc);
    for (let i = 0; i < count; i++) {
      const term = terms[i]!;
      let list = this.delta.get(term);
      if (list === undefined) {
        list = [];
        this.delta.set(term, list);
      }
      list.push(doc, fields[i]!, tfs[i]!);
    }
    this.deltaEntryCount += count;
    this.inDelta[doc] = 1;
  }

  /** Removes the document, whose distinct terms are `terms[0..count)`. */
  remove(doc: number, terms: Int32Array, count: number): void {
    if (this.inDelta[doc] === 1) {
      for (let i = 0; i < count; i++) {
        const list = this.delta.get(terms[i]!);
        if (list === undefined) continue;
        let kept = 0;
        for (let j = 0; j < list.length; j += 3) {
          if (list[j] === doc) continue;
          list[kept] = list[j]!;
          list[kept + 1] = list[j + 1]!;
          list[kept + 2] = list[j + 2]!;
          kept += 3;
        }
        this.deltaEntryCount -= (list.length - kept) / 3;
        if (kept === 0) this.delta.delete(terms[i]!);
        else list.length = kept;
      }
      this.inDelta[doc] = 0;
    }
    if (this.inMain[doc] === 1 && this.stale[doc] === 0) {
      this.stale[doc] = 1;
      this.staleCount++;
    }
  }

  /** Installs a freshly built main segment covering every document in `docsInMain`. */
  replaceMain(
    termCount: number,
    fieldCount: number,
    offsets: Uint32Array,
    docs: Int32Array,
    tfs: Uint16Array,
    docsInMain: Uint8Array,
  ): void {
    this.termCount = termCount;
    this.fieldCount = fieldCount;
    this.offsets = offsets;
    this.docs = docs;
    this.tfs = tfs;
    this.ensureDoc(docsInMain.length - 1);
    this.inMain.fill(0);
    this.inMain.set(docsInMain);
    this.mainDocCount = docsInMain.reduce((n, flag) => n + flag, 0);
    this.stale.fill(0);
    this.staleCount = 0;
    this.delta.clear();
    this.inDelta.fill(0);
    this.deltaEntryCount = 0;
  }
}
