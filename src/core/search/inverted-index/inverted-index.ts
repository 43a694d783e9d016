import type { Analyzer } from '../text/analyzer.js';
import type { FieldWeights } from '../config.js';
import { CATEGORIES_FIELD, FieldRegistry, TAGS_FIELD, TITLE_FIELD } from './fields.js';
import { PackedLists } from './packed-lists.js';
import { PostingStore } from './postings.js';
import { TermDictionary } from './term-dictionary.js';

/** The searchable text of an item (an `Item` fits). */
export interface IndexableText {
  readonly title: string;
  readonly text: Readonly<Record<string, string>>;
  readonly categories: readonly string[];
  readonly tags: readonly string[];
}

/** Term frequencies above this are clamped: BM25 saturates long before. */
const MAX_TF = 65535;

/**
 * The text side of the search index: dictionary, postings, field lengths and, per
 * document, its word sequence (the forward list). Documents are the catalog's dense
 * item indexes.
 *
 * The forward list of a document is its term ids in reading order, each field value
 * opened by a marker `-(field + 1)`; fields appear in increasing id order. It gives
 * word positions for proximity and exact-title checks without storing positions in the
 * postings, tells what to undo when the document changes, and is what compaction
 * rebuilds the postings from.
 */
export class InvertedIndex {
  readonly dictionary: TermDictionary;
  readonly postings = new PostingStore();
  forward = new PackedLists();
  /** Words per field per document. */
  lengths: Uint32Array[] = [];
  private totalLengths: number[] = [];
  /** Longest value seen per field (never lowered): the size of per-query length tables. */
  maxLengths: number[] = [];
  indexed = new Uint8Array(0);
  private textHashes = new Uint32Array(0);
  private live = 0;

  private sequence = new Int32Array(256);
  private sequenceLength = 0;
  private termCounts = new Int32Array(1024);
  private touchedTerms = new Int32Array(256);
  /** Output of `aggregate`: one (term, field, tf) per distinct term of each field. */
  private aggTerms = new Int32Array(256);
  private aggFields = new Int32Array(256);
  private aggTfs = new Int32Array(256);
  private distinct = new Int32Array(256);

  constructor(
    private readonly analyzer: Analyzer,
    readonly fields: FieldRegistry,
    dictionary?: TermDictionary,
  ) {
    this.dictionary = dictionary ?? new TermDictionary((word) => analyzer.stem(word));
  }

  static create(analyzer: Analyzer, weights: FieldWeights): InvertedIndex {
    return new InvertedIndex(analyzer, new FieldRegistry(weights));
  }

  /** Indexed documents. */
  get size(): number {
    return this.live;
  }

  /** One more than the largest document id seen. */
  get capacity(): number {
    return this.indexed.length;
  }

  averageLength(field: number): number {
    const total = this.totalLengths[field] ?? 0;
    return this.live === 0 || total === 0 ? 1 : total / this.live;
  }

  isIndexed(doc: number): boolean {
    return this.indexed[doc] === 1;
  }

  /** Indexes or re-indexes a document; unchanged text costs one hash. */
  upsert(doc: number, document: IndexableText): void {
    this.ensureDoc(doc);
    const hash = hashText(document);
    if (this.indexed[doc] === 1) {
      if (this.textHashes[doc] === hash) return;
      this.detach(doc);
    }
    this.buildSequence(document);
    const sequence = this.sequence;
    const length = this.sequenceLength;
    const entries = this.aggregate(sequence, 0, length);
    this.postings.add(doc, this.aggTerms, this.aggFields, this.aggTfs, entries);
    this.countDistinct(entries, 1);
    this.addLengths(doc, sequence, 0, length, 1);
    this.forward.set(doc, sequence, length);
    this.indexed[doc] = 1;
    this.textHashes[doc] = hash;
    this.live++;
    if (this.postings.needsCompaction) this.compact();
  }

  remove(doc: number): void {
    if (this.indexed[doc] !== 1) return;
    this.detach(doc);
    this.forward.clear(doc);
    this.indexed[doc] = 0;
    this.textHashes[doc] = 0;
  }

  /**
   * Rebuilds the main postings segment from the forward lists of all indexed documents,
   * dropping stale entries and emptying the delta. Two passes (count, then fill) over
   * documents in increasing order leave each list sorted by document.
   */
  compact(): void {
    const fieldCount = this.fields.count;
    const termCount = this.dictionary.size;
    const keyCount = termCount * fieldCount;
    const offsets = new Uint32Array(keyCount + 1);
    const forward = this.forward;
    for (let doc = 0; doc < this.indexed.length; doc++) {
      if (this.indexed[doc] !== 1) continue;
      const from = forward.offset(doc);
      const entries = this.aggregate(forward.data, from, from + forward.length(doc));
      for (let i = 0; i < entries; i++)
        offsets[this.aggTerms[i]! * fieldCount + this.aggFields[i]! + 1]!++;
    }
    for (let key = 0; key < keyCount; key++) offsets[key + 1]! += offsets[key]!;
    const total = offsets[keyCount]!;
    const docs = new Int32Array(total);
    const tfs = new Uint16Array(total);
    const cursor = offsets.slice(0, keyCount);
    for (let doc = 0; doc < this.indexed.length; doc++) {
      if (this.indexed[doc] !== 1) continue;
      const from = forward.offset(doc);
      const entries = this.aggregate(forward.data, from, from + forward.length(doc));
      for (let i = 0; i < entries; i++) {
        const at = cursor[this.aggTerms[i]! * fieldCount + this.aggFields[i]!]!++;
        docs[at] = doc;
        tfs[at] = Math.min(this.aggTfs[i]!, MAX_TF);
      }
    }
    this.postings.replaceMain(termCount, fieldCount, offsets, docs, tfs, this.indexed);
    if (forward.wasteful) forward.compact();
  }

  /** Undoes a document's contribution to df, lengths and postings. */
  private detach(doc: number): void {
    const forward = this.forward;
    const from = forward.offset(doc);
    const to = from + forward.length(doc);
    const entries = this.aggregate(forward.data, from, to);
    const distinctCount = this.countDistinct(entries, -1);
    this.postings.remove(doc, this.distinct, distinctCount);
    this.addLengths(doc, forward.data, from, to, -1);
    this.live--;
  }

  /**
   * Adds `sign` to the df of each distinct term among the last `aggregate` output (a term
   * in several fields has one entry per field) and leaves them in `distinct`.
   */
  private countDistinct(entries: number, sign: 1 | -1): number {
    const seen = this.termCounts;
    const df = this.dictionary.df;
    let count = 0;
    for (let i = 0; i < entries; i++) {
      const term = this.aggTerms[i]!;
      if (seen[term] === 0) {
        seen[term] = 1;
        this.distinct[count++] = term;
        df[term]! += sign;
      }
    }
    for (let i = 0; i < count; i++) seen[this.distinct[i]!] = 0;
    return count;
  }

  private addLengths(
    doc: number,
    sequence: Int32Array,
    from: number,
    to: number,
    sign: 1 | -1,
  ): void {
    let field = -1;
    let fieldLengths: Uint32Array | undefined;
    for (let k = from; k < to; k++) {
      const value = sequence[k]!;
      if (value < 0) {
        field = -value - 1;
        this.ensureField(field);
        fieldLengths = this.lengths[field] as Uint32Array;
        continue;
      }
      const length = (fieldLengths as Uint32Array)[doc]! + sign;
      (fieldLengths as Uint32Array)[doc] = length;
      this.totalLengths[field]! += sign;
      if (length > this.maxLengths[field]!) this.maxLengths[field] = length;
    }
  }

  /**
   * Counts each term per field over `sequence[from..to)` into the agg* arrays and returns
   * how many (term, field) entries there are. Relies on a field's values being adjacent.
   */
  private aggregate(sequence: Int32Array, from: number, to: number): number {
    this.ensureScratch(to - from);
    const counts = this.termCounts;
    const touched = this.touchedTerms;
    let touchedCount = 0;
    let entries = 0;
    let field = -1;
    const flush = (): void => {
      for (let i = 0; i < touchedCount; i++) {
        const term = touched[i]!;
        this.aggTerms[entries] = term;
        this.aggFields[entries] = field;
        this.aggTfs[entries] = counts[term]!;
        counts[term] = 0;
        entries++;
      }
      touchedCount = 0;
    };
    for (let k = from; k < to; k++) {
      const value = sequence[k]!;
      if (value < 0) {
        const next = -value - 1;
        if (next !== field) {
          flush();
          field = next;
        }
        continue;
      }
      if (counts[value] === 0) touched[touchedCount++] = value;
      counts[value]!++;
    }
    flush();
    return entries;
  }

  private buildSequence(document: IndexableText): void {
    this.sequenceLength = 0;
    this.appendField(TITLE_FIELD, document.title);
    for (const category of document.categories) this.appendField(CATEGORIES_FIELD, category);
    for (const tag of document.tags) this.appendField(TAGS_FIELD, tag);
    const textFields = Object.keys(document.text)
      .map((key) => [this.fields.textField(key), key] as const)
      .sort((a, b) => a[0] - b[0]);
    for (const [field, key] of textFields) this.appendField(field, document.text[key] ?? '');
  }

  private appendField(field: number, text: string): void {
    if (this.fields.weight(field) === 0 || text.length === 0) return;
    let opened = false;
    this.analyzer.forEachWord(text, (word) => {
      if (!opened) {
        this.push(-(field + 1));
        opened = true;
      }
      this.push(this.dictionary.intern(word));
    });
  }

  private push(value: number): void {
    if (this.sequenceLength === this.sequence.length) {
      const bigger = new Int32Array(this.sequence.length * 2);
      bigger.set(this.sequence);
      this.sequence = bigger;
    }
    this.sequence[this.sequenceLength++] = value;
  }

  private ensureScratch(tokens: number): void {
    if (this.termCounts.length < this.dictionary.size) {
      const bigger = new Int32Array(Math.max(this.dictionary.size, this.termCounts.length * 2));
      bigger.set(this.termCounts);
      this.termCounts = bigger;
    }
    if (this.aggTerms.length < tokens) {
      const size = Math.max(tokens, this.aggTerms.length * 2);
      this.aggTerms = new Int32Array(size);
      this.aggFields = new Int32Array(size);
      this.aggTfs = new Int32Array(size);
      this.touchedTerms = new Int32Array(size);
      this.distinct = new Int32Array(size);
    }
  }

  private ensureField(field: number): void {
    while (this.lengths.length <= field) {
      this.lengths.push(new Uint32Array(this.indexed.length));
      this.totalLengths.push(0);
      this.maxLengths.push(0);
    }
  }

  private ensureDoc(doc: number): void {
    if (doc < this.indexed.length) return;
    let capacity = Math.max(1024, this.indexed.length * 2);
    while (capacity <= doc) capacity *= 2;
    const indexed = new Uint8Array(capacity);
    indexed.set(this.indexed);
    this.indexed = indexed;
    const hashes = new Uint32Array(capacity);
    hashes.set(this.textHashes);
    this.textHashes = hashes;
    this.lengths = this.lengths.map((old) => {
      const bigger = new Uint32Array(capacity);
      bigger.set(old);
      return bigger;
    });
    this.postings.ensureDoc(capacity - 1);
    this.forward.ensureKey(capacity - 1);
  }

  /** State for snapshots; `compact` first so the delta is empty. */
  exportState(): { json: InvertedIndexJson; arrays: Record<string, ArrayBufferView> } {
    this.compact();
    const arrays: Record<string, ArrayBufferView> = {
      ...this.forward.export('forward'),
      df: this.dictionary.df.slice(0, this.dictionary.size),
      indexed: this.indexed.slice(),
      textHashes: this.textHashes.slice(),
      'postings.offsets': this.postings.offsets.slice(),
      'postings.docs': this.postings.docs.slice(),
      'postings.tfs': new Uint8Array(this.postings.tfs.slice().buffer),
    };
    this.lengths.forEach((lengths, field) => (arrays[`lengths.${field}`] = lengths.slice()));
    return {
      json: {
        terms: this.dictionary.toJSON(),
        fields: this.fields.toJSON(),
        totalLengths: this.totalLengths,
        live: this.live,
        postingTerms: this.postings.termCount,
        postingFields: this.postings.fieldCount,
      },
      arrays,
    };
  }

  static importState(
    analyzer: Analyzer,
    weights: FieldWeights,
    json: InvertedIndexJson,
    arrays: Readonly<Record<string, ArrayBufferView>>,
  ): InvertedIndex {
    const df = typed(arrays, 'df', Int32Array);
    const dictionary = TermDictionary.fromJSON(json.terms, df, (word) => analyzer.stem(word));
    const index = new InvertedIndex(
      analyzer,
      FieldRegistry.fromJSON(json.fields, weights),
      dictionary,
    );
    const indexed = typed(arrays, 'indexed', Uint8Array);
    index.ensureDoc(Math.max(0, indexed.length - 1));
    index.indexed.set(indexed);
    index.textHashes.set(typed(arrays, 'textHashes', Uint32Array));
    index.forward = PackedLists.import(arrays, 'forward');
    index.forward.ensureKey(index.indexed.length - 1);
    json.totalLengths.forEach((total, field) => {
      index.ensureField(field);
      (index.lengths[field] as Uint32Array).set(typed(arrays, `lengths.${field}`, Uint32Array));
      index.totalLengths[field] = total;
      index.maxLengths[field] = (index.lengths[field] as Uint32Array).reduce(
        (max, n) => Math.max(max, n),
        0,
      );
    });
    index.live = json.live;
    const tfBytes = typed(arrays, 'postings.tfs', Uint8Array);
    const tfs = new Uint16Array(tfBytes.byteLength / 2);
    new Uint8Array(tfs.buffer).set(tfBytes);
    index.postings.replaceMain(
      json.postingTerms,
      json.postingFields,
      typed(arrays, 'postings.offsets', Uint32Array).slice(),
      typed(arrays, 'postings.docs', Int32Array).slice(),
      tfs,
      index.indexed,
    );
    return index;
  }
}

export interface InvertedIndexJson {
  readonly terms: readonly string[];
  readonly fields: readonly string[];
  readonly totalLengths: readonly number[];
  readonly live: number;
  readonly postingTerms: number;
  readonly postingFields: number;
}

type TypedArrayClass<T> = { new (length: number): T; prototype: T };

function typed<T>(
  arrays: Readonly<Record<string, ArrayBufferView>>,
  name: string,
  kind: TypedArrayClass<T>,
): T {
  const array = arrays[name];
  if (!(array instanceof kind)) throw new Error(`search snapshot lacks ${name}`);
  return array;
}

/** FNV-1a over the searchable text, to skip re-indexing when only attributes change. */
export function hashText(document: IndexableText): number {
  let hash = 0x811c9dc5;
  const mix = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    hash ^= 0xffff; // separator, so ("ab", "c") and ("a", "bc") differ
    hash = Math.imul(hash, 0x01000193);
  };
  mix(document.title);
  for (const category of document.categories) mix(category);
  mix('\u0001');
  for (const tag of document.tags) mix(tag);
  mix('\u0002');
  for (const key of Object.keys(document.text).sort()) {
    mix(key);
    mix(document.text[key] ?? '');
  }
  return hash >>> 0;
}
