import { TITLE_FIELD } from './fields.js';
import type { InvertedIndex } from './inverted-index.js';
import { PackedLists } from './packed-lists.js';

/**
 * Documents whose title has one length and holds one term a given number of times, each
 * with the title version it was added at.
 */
export class TitleBucket {
  docs = new Int32Array(4);
  versions = new Uint32Array(4);
  size = 0;

  constructor(
    readonly length: number,
    readonly occurrences: number,
  ) {}

  push(doc: number, version: number): void {
    if (this.size === this.docs.length) {
      const docs = new Int32Array(this.size * 2);
      docs.set(this.docs);
      this.docs = docs;
      const versions = new Uint32Array(this.size * 2);
      versions.set(this.versions);
      this.versions = versions;
    }
    this.docs[this.size] = doc;
    this.versions[this.size++] = version;
  }
}

/**
 * Per term, the documents whose title holds it, grouped by how many times and by title
 * length. A one-word title search scores a document by the term, its occurrences and the
 * title length alone, so walking the groups from the best score down lets
 * autocomplete stop as soon as nothing left can enter its top results, instead of
 * scoring every title with a frequent word.
 *
 * Kept current with every write: an entry is valid while its version is the document's
 * version, which any change of the title's words bumps; outdated entries are skipped by
 * readers and dropped when they outnumber the valid ones (a rebuild from the forward
 * lists).
 */
export class TitleBuckets {
  private readonly byTerm = new Map<number, TitleBucket[]>();
  private version = new Uint32Array(1024);
  /** The title words each document's entries were made from. */
  private titles = new PackedLists();
  private entryCount = new Uint32Array(1024);
  private live = 0;
  private outdated = 0;

  /** Groups of `term`, by increasing occurrences, then title length. */
  of(term: number): readonly TitleBucket[] | undefined {
    return this.byTerm.get(term);
  }

  /**
   * At least the most times any current title holds `term` (groups left empty by
   * updates count until a rebuild); 0 when no title has it.
   */
  maxOccurrences(term: number): number {
    const groups = this.byTerm.get(term);
    return groups === undefined ? 0 : groups[groups.length - 1]!.occurrences;
  }

  /** Whether the entry (`doc`, `version`) still describes the document's title. */
  isCurrent(doc: number, version: number): boolean {
    return this.version[doc] === version;
  }

  /** Records `doc`'s title as the forward lists have it now (after an upsert). */
  update(index: InvertedIndex, doc: number): void {
    this.ensure(doc);
    if (this.sameTitle(index, doc)) return;
    this.drop(doc);
    this.add(index, doc);
    if (this.outdated > Math.max(4096, this.live)) this.rebuild(index);
  }

  remove(doc: number): void {
    if (doc >= this.version.length) return;
    this.drop(doc);
  }

  /** Every indexed document's title, from scratch. */
  rebuild(index: InvertedIndex): void {
    this.byTerm.clear();
    this.live = 0;
    this.outdated = 0;
    this.entryCount.fill(0);
    this.titles = new PackedLists();
    for (let doc = 0; doc < index.capacity; doc++) {
      if (!index.isIndexed(doc)) continue;
      this.ensure(doc);
      this.add(index, doc);
    }
  }

  /** Entries still describing a title, and outdated ones not yet dropped. */
  get counts(): { readonly live: number; readonly outdated: number } {
    return { live: this.live, outdated: this.outdated };
  }

  private drop(doc: number): void {
    const count = this.entryCount[doc]!;
    if (count === 0) return;
    this.version[doc]!++;
    this.live -= count;
    this.outdated += count;
    this.entryCount[doc] = 0;
    this.titles.clear(doc);
    if (this.titles.wasteful) this.titles.compact();
  }

  private sameTitle(index: InvertedIndex, doc: number): boolean {
    const [from, end] = titleRange(index, doc);
    const stored = this.titles.length(doc);
    if (stored !== end - from) return false;
    const at = stored === 0 ? 0 : this.titles.offset(doc);
    for (let k = 0; k < stored; k++)
      if (this.titles.data[at + k] !== index.forward.data[from + k]) return false;
    return true;
  }

  private add(index: InvertedIndex, doc: number): void {
    const [from, end] = titleRange(index, doc);
    if (from === end) return;
    const data = index.forward.data;
    this.titles.set(doc, data.subarray(from, end), end - from);
    const length = (index.lengths[TITLE_FIELD] as Uint32Array)[doc]!;
    const version = this.version[doc]!;
    let entries = 0;
    for (let k = from; k < end; k++) {
      const term = data[k]!;
      let earlier = false;
      for (let j = from; j < k && !earlier; j++) earlier = data[j] === term;
      if (earlier) continue;
      let occurrences = 1;
      for (let j = k + 1; j < end; j++) if (data[j] === term) occurrences++;
      this.bucket(term, occurrences, length).push(doc, version);
      entries++;
    }
    this.entryCount[doc] = entries;
    this.live += entries;
  }

  private bucket(term: number, occurrences: number, length: number): TitleBucket {
    let buckets = this.byTerm.get(term);
    if (buckets === undefined) {
      buckets = [];
      this.byTerm.set(term, buckets);
    }
    let at = 0;
    for (; at < buckets.length; at++) {
      const { occurrences: o, length: l } = buckets[at]!;
      if (o > occurrences || (o === occurrences && l >= length)) break;
    }
    const found = buckets[at];
    if (found?.length === length && found.occurrences === occurrences) return found;
    const bucket = new TitleBucket(length, occurrences);
    buckets.splice(at, 0, bucket);
    return bucket;
  }

  private ensure(doc: number): void {
    if (doc < this.version.length) return;
    let capacity = this.version.length * 2;
    while (capacity <= doc) capacity *= 2;
    const version = new Uint32Array(capacity);
    version.set(this.version);
    this.version = version;
    const entries = new Uint32Array(capacity);
    entries.set(this.entryCount);
    this.entryCount = entries;
  }
}

/** [from, end) of the document's title words in the forward lists (empty: no title). */
function titleRange(index: InvertedIndex, doc: number): [number, number] {
  const forward = index.forward;
  const count = forward.length(doc);
  if (count === 0) return [0, 0];
  const from = forward.offset(doc);
  if (forward.data[from] !== -(TITLE_FIELD + 1)) return [0, 0];
  let end = from + 1;
  while (end < from + count && forward.data[end]! >= 0) end++;
  return [from + 1, end];
}
