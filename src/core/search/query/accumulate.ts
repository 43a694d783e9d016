import type { InvertedIndex } from '../inverted-index/inverted-index.js';
import { TITLE_FIELD } from '../inverted-index/fields.js';
import type { ExpandedWord } from './expand.js';
import type { LengthNorms } from './length-norms.js';
import type { QueryScratch } from './scratch.js';

export interface Bm25Parameters {
  readonly k1: number;
  readonly b: number;
}

export function inverseDocumentFrequency(df: number, documents: number): number {
  return Math.log(1 + (documents - df + 0.5) / (df + 0.5));
}

/**
 * Per derivation, the idf to score with. Every form other than the word as typed
 * borrows the typed word's idf when it is indexed (else that of the commonest
 * derivation), so a rare inflection, misspelling-neighbour or completion cannot
 * outweigh the common word meant.
 */
function derivationIdfs(
  word: ExpandedWord,
  typed: number | undefined,
  df: Int32Array,
  documents: number,
): number[] {
  let capDf = 0;
  if (typed !== undefined && df[typed]! > 0) capDf = df[typed]!;
  else for (const d of word.derivations) capDf = Math.max(capDf, df[d.term]!);
  const cap = inverseDocumentFrequency(capDf, documents);
  return word.derivations.map((d) =>
    Math.min(inverseDocumentFrequency(df[d.term]!, documents), cap),
  );
}

/**
 * Where a derivation's per-document scores go. With several derivations a document
 * keeps its best one (`wordScore`, summed into `total` afterwards); a word with a single
 * derivation writes straight into `total`.
 */
class WordSink {
  direct = false;
  bit = 0;
  /** Documents matched by the word so far. */
  count = 0;

  constructor(private readonly scratch: QueryScratch) {}

  offer(doc: number, score: number): void {
    const s = this.scratch;
    if (this.direct) {
      const mask = s.mask[doc]!;
      if (mask === 0) s.candidates[s.candidateCount++] = doc;
      s.total[doc]! += score;
      s.mask[doc] = mask | this.bit;
      this.count++;
      return;
    }
    const previous = s.wordScore[doc]!;
    if (score > previous) {
      if (previous === 0) s.wordDocs[this.count++] = doc;
      s.wordScore[doc] = score;
    }
  }

  /** Folds the best scores into `total` (when not direct). */
  finish(): number {
    if (this.direct) return this.count;
    const s = this.scratch;
    const { total, mask, candidates, wordScore, wordDocs } = s;
    const bit = this.bit;
    let candidateCount = s.candidateCount;
    for (let i = 0; i < this.count; i++) {
      const doc = wordDocs[i]!;
      const previous = mask[doc]!;
      if (previous === 0) candidates[candidateCount++] = doc;
      total[doc]! += wordScore[doc]!;
      mask[doc] = previous | bit;
      wordScore[doc] = 0;
    }
    s.candidateCount = candidateCount;
    return this.count;
  }
}

/** Main-segment lists of one term, one per searched field, merged by document. */
class FieldLists {
  count = 0;
  readonly heads = new Int32Array(64);
  readonly ends = new Int32Array(64);
  readonly fields = new Int32Array(64);
}

const lists = new FieldLists();

/**
 * Scores one query word into `scratch`: for every document, the best BM25F score over
 * the word's derivations, times the derivation's weight. Adds it to `total`, sets `bit`
 * in `mask` and records new candidates. Returns how many documents matched the word.
 * `norms` must be prepared for this query's fields, which `fieldAllowed` flags.
 */
export function accumulateWord(
  index: InvertedIndex,
  word: ExpandedWord,
  bit: number,
  fieldAllowed: Uint8Array,
  params: Bm25Parameters,
  norms: LengthNorms,
  scratch: QueryScratch,
): number {
  const dictionary = index.dictionary;
  const idfs = derivationIdfs(
    word,
    dictionary.idOf(word.word.text),
    dictionary.df,
    Math.max(1, index.size),
  );
  const sink = new WordSink(scratch);
  sink.direct = word.derivations.length === 1;
  sink.bit = bit;
  for (let at = 0; at < word.derivations.length; at++) {
    const derivation = word.derivations[at]!;
    const scale = derivation.weight * idfs[at]! * (params.k1 + 1);
    scoreMain(
      index,
      derivation.term,
      derivation.titleOnly,
      fieldAllowed,
      scale,
      params.k1,
      norms,
      sink,
    );
    scoreDelta(
      index,
      derivation.term,
      derivation.titleOnly,
      fieldAllowed,
      scale,
      params.k1,
      norms,
      scratch,
      sink,
    );
  }
  return sink.finish();
}

/**
 * BM25F over the main segment: the term's per-field lists are merged by document, so
 * each document's weighted, length-normalized frequencies are summed across fields and
 * saturated once, in a single sequential pass.
 */
function scoreMain(
  index: InvertedIndex,
  term: number,
  titleOnly: boolean,
  fieldAllowed: Uint8Array,
  scale: number,
  k1: number,
  norms: LengthNorms,
  sink: WordSink,
): void {
  const postings = index.postings;
  const { heads, ends, fields } = lists;
  let k = 0;
  for (let field = 0; field < fieldAllowed.length; field++) {
    if (fieldAllowed[field] !== 1 || (titleOnly && field !== TITLE_FIELD)) continue;
    const key = postings.mainKey(term, field);
    if (key < 0 || postings.offsets[key] === postings.offsets[key + 1]) continue;
    heads[k] = postings.offsets[key]!;
    ends[k] = postings.offsets[key + 1]!;
    fields[k] = field;
    k++;
  }
  if (k === 0) return;
  const { docs, tfs, stale } = postings;
  if (k === 1) {
    const field = fields[0]!;
    const lengths = index.lengths[field] as Uint32Array;
    const normTable = norms.normTable(field);
    const singles = norms.singleTable(field);
    const tabulated = normTable.length;
    for (let p = heads[0]!, end = ends[0]!; p < end; p++) {
      const doc = docs[p]!;
      if (stale[doc] === 1) continue;
      const length = lengths[doc]!;
      const tf = tfs[p]!;
      if (tf === 1 && length < tabulated) {
        sink.offer(doc, scale * singles[length]!);
      } else {
        const acc = tf * (length < tabulated ? normTable[length]! : norms.norm(field, length));
        sink.offer(doc, scale * (acc / (acc + k1)));
      }
    }
    return;
  }
  if (k === 2) {
    mergeTwo(index, docs, tfs, stale, scale, k1, norms, sink);
    return;
  }
  for (;;) {
    let doc = 0x7fffffff;
    for (let i = 0; i < k; i++) {
      if (heads[i]! < ends[i]!) {
        const d = docs[heads[i]!]!;
        if (d < doc) doc = d;
      }
    }
    if (doc === 0x7fffffff) return;
    let acc = 0;
    let single = -1;
    let occurrences = 0;
    for (let i = 0; i < k; i++) {
      const p = heads[i]!;
      if (p >= ends[i]! || docs[p] !== doc) continue;
      const field = fields[i]!;
      const length = (index.lengths[field] as Uint32Array)[doc]!;
      const normTable = norms.normTable(field);
      acc += tfs[p]! * (length < normTable.length ? normTable[length]! : norms.norm(field, length));
      occurrences += tfs[p]!;
      single = field;
      heads[i] = p + 1;
    }
    if (stale[doc] === 1) continue;
    if (occurrences === 1) {
      // One occurrence in one field: the tabulated saturation, as in the single-list loop.
      const length = (index.lengths[single] as Uint32Array)[doc]!;
      const singles = norms.singleTable(single);
      if (length < singles.length) {
        sink.offer(doc, scale * singles[length]!);
        continue;
      }
    }
    sink.offer(doc, scale * (acc / (acc + k1)));
  }
}

/** `scoreMain` for two lists (typically a title and a description), all in locals. */
function mergeTwo(
  index: InvertedIndex,
  docs: Int32Array,
  tfs: Uint16Array,
  stale: Uint8Array,
  scale: number,
  k1: number,
  norms: LengthNorms,
  sink: WordSink,
): void {
  const NONE = 0x7fffffff;
  const aField = lists.fields[0]!;
  const bField = lists.fields[1]!;
  const aLengths = index.lengths[aField] as Uint32Array;
  const bLengths = index.lengths[bField] as Uint32Array;
  const aNorms = norms.normTable(aField);
  const bNorms = norms.normTable(bField);
  const aSingles = norms.singleTable(aField);
  const bSingles = norms.singleTable(bField);
  let a = lists.heads[0]!;
  let b = lists.heads[1]!;
  const aEnd = lists.ends[0]!;
  const bEnd = lists.ends[1]!;
  let aDoc = a < aEnd ? docs[a]! : NONE;
  let bDoc = b < bEnd ? docs[b]! : NONE;
  while (aDoc !== NONE || bDoc !== NONE) {
    if (aDoc !== bDoc) {
      // In one field only: one list advances, and a single occurrence is tabulated.
      const fromA = aDoc < bDoc;
      const doc = fromA ? aDoc : bDoc;
      const p = fromA ? a : b;
      const field = fromA ? aField : bField;
      const length = (fromA ? aLengths : bLengths)[doc]!;
      const table = fromA ? aNorms : bNorms;
      if (fromA) aDoc = ++a < aEnd ? docs[a]! : NONE;
      else bDoc = ++b < bEnd ? docs[b]! : NONE;
      if (stale[doc] === 1) continue;
      const tf = tfs[p]!;
      if (length < table.length) {
        if (tf === 1) sink.offer(doc, scale * (fromA ? aSingles : bSingles)[length]!);
        else {
          const acc = tf * table[length]!;
          sink.offer(doc, scale * (acc / (acc + k1)));
        }
      } else {
        const acc = tf * norms.norm(field, length);
        sink.offer(doc, scale * (acc / (acc + k1)));
      }
      continue;
    }
    const doc = aDoc;
    const aLength = aLengths[doc]!;
    const bLength = bLengths[doc]!;
    const acc =
      tfs[a]! * (aLength < aNorms.length ? aNorms[aLength]! : norms.norm(aField, aLength)) +
      tfs[b]! * (bLength < bNorms.length ? bNorms[bLength]! : norms.norm(bField, bLength));
    aDoc = ++a < aEnd ? docs[a]! : NONE;
    bDoc = ++b < bEnd ? docs[b]! : NONE;
    if (stale[doc] !== 1) sink.offer(doc, scale * (acc / (acc + k1)));
  }
}

/** The same over the delta's (doc, field, tf) triples, which are in no particular order. */
function scoreDelta(
  index: InvertedIndex,
  term: number,
  titleOnly: boolean,
  fieldAllowed: Uint8Array,
  scale: number,
  k1: number,
  norms: LengthNorms,
  scratch: QueryScratch,
  sink: WordSink,
): void {
  const delta = index.postings.delta.get(term);
  if (delta === undefined) return;
  const { tfAcc, termDocs } = scratch;
  let count = 0;
  for (let j = 0; j < delta.length; j += 3) {
    const field = delta[j + 1]!;
    if (fieldAllowed[field] !== 1 || (titleOnly && field !== TITLE_FIELD)) continue;
    const doc = delta[j]!;
    const length = (index.lengths[field] as Uint32Array)[doc]!;
    const normTable = norms.normTable(field);
    const n = length < normTable.length ? normTable[length]! : norms.norm(field, length);
    if (tfAcc[doc] === 0) termDocs[count++] = doc;
    tfAcc[doc]! += delta[j + 2]! * n;
  }
  for (let i = 0; i < count; i++) {
    const doc = termDocs[i]!;
    const acc = tfAcc[doc]!;
    tfAcc[doc] = 0;
    sink.offer(doc, scale * (acc / (acc + k1)));
  }
}
