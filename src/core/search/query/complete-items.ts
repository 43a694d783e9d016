import { TITLE_FIELD } from '../index/fields.js';
import type { InvertedIndex } from '../index/inverted-index.js';
import { REPEATED, type TitleBucket, type TitleBuckets } from '../index/title-buckets.js';
import type { LengthNorms } from './length-norms.js';
import { accumulateWord, inverseDocumentFrequency } from './accumulate.js';
import type { SearchState } from './execute.js';
import { expandWord, type Derivation, type ExpandedWord } from './expand.js';
import { highlightItem } from './highlight.js';
import { parseQuery } from './parse-query.js';
import { TopK } from './top-k.js';
import type { SearchHit } from './types.js';

export interface ItemCompletionRequest {
  readonly limit: number;
  /** Best documents re-ranked with the phrase and title signals (at least `limit`). */
  readonly rerankDepth: number;
  readonly maxPrefixExpansions: number;
  readonly filter?: (doc: number) => boolean;
  readonly boost?: (doc: number, textScore: number) => number;
  /** `boost(doc, text) ≤ text × boostCeiling` for every document; unknown: Infinity. */
  readonly boostCeiling?: number;
}

/** Set in `mask` on a document already offered to the final heap. */
const OFFERED = 1 << 30;
const TITLE_MARK = -(TITLE_FIELD + 1);

/** Per-query working arrays, kept between queries (queries run one at a time). */
class CompletionScratch {
  /** Per term, the score scale of the word being checked (0: not one of its terms). */
  termScale = new Float64Array(0);
  /** Documents having every required word checked so far. */
  docs = new Int32Array(0);
  /** Per surviving document, one score per query word (row-major). */
  scores = new Float64Array(0);

  ensure(terms: number, docs: number, words: number): void {
    if (this.termScale.length < terms)
      this.termScale = new Float64Array(Math.max(terms, this.termScale.length * 2));
    if (this.docs.length < docs) this.docs = new Int32Array(Math.max(docs, this.docs.length * 2));
    if (this.scores.length < docs * words)
      this.scores = new Float64Array(Math.max(docs * words, this.scores.length * 2));
  }
}

const scratchArrays = new CompletionScratch();

/**
 * Item completions for autocomplete: the same hits, scores and order as a title-only
 * `executeSearch` with every non-stop word required, computed for a fraction of its cost.
 *
 * - Conjunctive: only the required word with the shortest title postings is scored from
 *   the postings; every other word is checked (and scored, BM25F on the title alone) in
 *   the forward lists of the documents still in the running, so a frequent earlier word
 *   ("dacan bu") costs the rare word's matches times a title's length, not its postings.
 * - One word: titles are visited by decreasing score through `TitleBuckets` (per term
 *   and title length), until nothing left can enter the best; "c" or "dacan", which
 *   tens of thousands of titles contain, cost a few hundred visits.
 * - Bounded boost: `boost` is called only for documents whose text score times
 *   `boostCeiling` can still beat the worst of the best kept so far; the best by text
 *   alone are boosted first, so that bar is high from the start.
 *
 * Returns undefined when the general search must answer instead: nothing typed (a
 * listing), or no eligible document with every required word (the general search then
 * drops the fewest words that leave a match).
 */
export function completeItems(
  state: SearchState,
  buckets: TitleBuckets,
  input: string,
  request: ItemCompletionRequest,
): SearchHit[] | undefined {
  const { index, scratch } = state;
  const fieldAllowed = new Uint8Array(index.fields.count);
  for (const field of index.fields.select(['title'])) fieldAllowed[field] = 1;
  const words = parseQuery(input, state.analyzer, true);
  if (words.length === 0 || fieldAllowed[TITLE_FIELD] !== 1) return undefined;
  const dictionary = index.dictionary;
  const expanded = words.map((word) =>
    expandWord(word, {
      dictionary,
      analyzer: state.analyzer,
      synonyms: state.synonyms,
      typos: true,
      maxPrefixExpansions: request.maxPrefixExpansions,
    }),
  );
  const order = checkOrder(index, expanded);
  const seed = order[0];
  if (seed === undefined || expanded[seed]!.word.stop) return undefined;
  scratch.ensure(index.capacity);
  state.terms.load(expanded, dictionary.size);
  try {
    state.norms.prepare(index, fieldAllowed, state.params);
    scratchArrays.ensure(dictionary.size, 0, 1);
    if (expanded.length === 1) {
      const best = bestForOneWord(state, buckets, expanded[0]!, request);
      if (best.length === 0) return undefined;
      return rankAndHighlight(state, expanded, best.drain().docs, fieldAllowed, request);
    }
    accumulateWord(
      index,
      expanded[seed]!,
      1 << seed,
      fieldAllowed,
      state.params,
      state.norms,
      scratch,
    );
    const wordCount = expanded.length;
    scratchArrays.ensure(dictionary.size, scratch.candidateCount, wordCount);
    const { docs, scores } = scratchArrays;
    let survivors = scratch.candidateCount;
    scores.fill(0, 0, survivors * wordCount);
    for (let i = 0; i < survivors; i++) {
      const doc = scratch.candidates[i]!;
      docs[i] = doc;
      // The seed word is the first added to `total`, so this is its score alone.
      scores[i * wordCount + seed] = scratch.total[doc]!;
    }
    for (let o = 1; o < order.length && survivors > 0; o++)
      survivors = checkWord(state, expanded, order[o]!, survivors);

    const depth = Math.max(request.limit, request.rerankDepth);
    const textScores = scratch.total;
    const byText = new TopK(depth);
    const hidden = state.visibility.hidden;
    const { filter } = request;
    const memo = scratch.filterMemo;
    for (let i = 0; i < survivors; i++) {
      const doc = docs[i]!;
      // Summed in word order, as the general search sums them, for identical scores.
      let text = 0;
      for (let w = 0; w < wordCount; w++) text += scores[i * wordCount + w]!;
      textScores[doc] = text;
      if (hidden[doc] === 1) {
        memo[doc] = 2;
        continue;
      }
      if (filter) {
        const accepted = filter(doc);
        memo[doc] = accepted ? 1 : 2;
        if (!accepted) continue;
      } else memo[doc] = 1;
      if (text >= byText.floor) byText.push(text, 0, doc);
    }
    if (byText.length === 0) return undefined;
    const best = request.boost
      ? boostedBest(scratch.mask, memo, docs, survivors, textScores, byText, request)
      : byText;
    return rankAndHighlight(state, expanded, best.drain().docs, fieldAllowed, request);
  } finally {
    state.terms.release();
    scratch.release();
  }
}

/**
 * The order to check words in: required words by increasing title postings (the first
 * one seeds the candidates), then stop words, which only add to the score.
 */
function checkOrder(index: InvertedIndex, words: readonly ExpandedWord[]): number[] {
  const costs = words.map(({ derivations }) => titlePostingCount(index, derivations));
  const order = words.map((_, i) => i);
  const stop = (i: number): number => (words[i]!.word.stop ? 1 : 0);
  order.sort((a, b) => stop(a) - stop(b) || costs[a]! - costs[b]! || a - b);
  return order;
}

function titlePostingCount(index: InvertedIndex, derivations: readonly Derivation[]): number {
  const postings = index.postings;
  let count = 0;
  for (const { term } of derivations) {
    const key = postings.mainKey(term, TITLE_FIELD);
    if (key >= 0) count += postings.offsets[key + 1]! - postings.offsets[key]!;
    count += (postings.delta.get(term)?.length ?? 0) / 3;
  }
  return count;
}

/**
 * Scores word `w` in the titles of the surviving documents, dropping those without it
 * when it is required; returns how many survive.
 */
function checkWord(
  state: SearchState,
  words: readonly ExpandedWord[],
  w: number,
  survivors: number,
): number {
  const { termScale, docs, scores } = scratchArrays;
  const word = words[w]!;
  const idfs = derivationIdfs(state.index, word);
  const scaleFactor = state.params.k1 + 1;
  word.derivations.forEach(({ term, weight }, at) => {
    termScale[term] = weight * idfs[at]! * scaleFactor;
  });
  const required = !word.word.stop;
  const wordCount = words.length;
  let kept = 0;
  for (let i = 0; i < survivors; i++) {
    const doc = docs[i]!;
    const best = titleWordScore(state, doc);
    if (best === 0 && required) continue;
    if (kept !== i) {
      docs[kept] = doc;
      for (let v = 0; v < wordCount; v++) scores[kept * wordCount + v] = scores[i * wordCount + v]!;
    }
    scores[kept * wordCount + w] = best;
    kept++;
  }
  for (const { term } of word.derivations) termScale[term] = 0;
  return kept;
}

/** BM25F of a word on the title alone, exactly as the postings pass computes it. */
function titleScore(
  scale: number,
  tf: number,
  length: number,
  norms: LengthNorms,
  k1: number,
): number {
  const singles = norms.singleTable(TITLE_FIELD);
  if (tf === 1 && length < singles.length) return scale * singles[length]!;
  const normTable = norms.normTable(TITLE_FIELD);
  const acc =
    tf * (length < normTable.length ? normTable[length]! : norms.norm(TITLE_FIELD, length));
  return scale * (acc / (acc + k1));
}

/** The word's best score in the document's title (0: not in it). `termScale` is loaded. */
function titleWordScore(state: SearchState, doc: number): number {
  const { index, norms, params } = state;
  const { termScale } = scratchArrays;
  const forward = index.forward;
  const data = forward.data;
  const count = forward.length(doc);
  const from = forward.offset(doc);
  if (count === 0 || data[from] !== TITLE_MARK) return 0;
  const end = from + count;
  const length = (index.lengths[TITLE_FIELD] as Uint32Array)[doc]!;
  let best = 0;
  for (let k = from + 1; k < end; k++) {
    const term = data[k]!;
    if (term < 0) break;
    const scale = termScale[term]!;
    if (scale === 0 || seenBefore(data, from + 1, k, term)) continue;
    let tf = 1;
    for (let j = k + 1; j < end && data[j]! >= 0; j++) if (data[j] === term) tf++;
    const score = titleScore(scale, tf, length, norms, params.k1);
    if (score > best) best = score;
  }
  return best;
}

/**
 * The best `depth` eligible documents for a one-word query. Groups of titles (term,
 * title length) are visited by decreasing score, which a group's documents all share
 * (titles repeating the term are scored one by one, their group first), so a document's
 * first visit gives its best derivation. The walk stops at the first group whose score
 * times the boost ceiling cannot reach the worst kept.
 */
function bestForOneWord(
  state: SearchState,
  buckets: TitleBuckets,
  word: ExpandedWord,
  request: ItemCompletionRequest,
): TopK {
  const { index, params, norms, scratch } = state;
  const { termScale } = scratchArrays;
  const idfs = derivationIdfs(index, word);
  const groups: { bound: number; bucket: TitleBucket }[] = [];
  word.derivations.forEach(({ term, weight }, at) => {
    const scale = weight * idfs[at]! * (params.k1 + 1);
    termScale[term] = scale;
    for (const bucket of buckets.of(term) ?? []) {
      const bound =
        bucket.length === REPEATED ? scale : titleScore(scale, 1, bucket.length, norms, params.k1);
      groups.push({ bound, bucket });
    }
  });
  groups.sort((a, b) => b.bound - a.bound);
  const { filter, boost } = request;
  const ceiling = boost ? (request.boostCeiling ?? Infinity) : 1;
  const best = new TopK(Math.max(request.limit, request.rerankDepth));
  const { mask, candidates, total } = scratch;
  const hidden = state.visibility.hidden;
  for (const { bound, bucket } of groups) {
    if (best.length === best.k && bound * ceiling < best.floor) break;
    const { docs, versions } = bucket;
    for (let i = 0; i < bucket.size; i++) {
      const doc = docs[i]!;
      if (mask[doc] !== 0 || !buckets.isCurrent(doc, versions[i]!)) continue;
      mask[doc] = 1;
      candidates[scratch.candidateCount++] = doc;
      if (hidden[doc] === 1) continue;
      const text = bucket.length === REPEATED ? titleWordScore(state, doc) : bound;
      total[doc] = text;
      if (filter && !filter(doc)) continue;
      if (!boost) {
        if (text >= best.floor) best.push(text, 0, doc);
      } else if (text * ceiling >= best.floor) {
        const score = boost(doc, text);
        if (score >= best.floor) best.push(score, 0, doc);
      }
    }
  }
  for (const { term } of word.derivations) termScale[term] = 0;
  return best;
}

/**
 * The idf each derivation scores with, as the postings pass computes it: capped at the
 * idf of the word as typed (or of its commonest derivation).
 */
function derivationIdfs(index: InvertedIndex, word: ExpandedWord): number[] {
  const df = index.dictionary.df;
  const documents = Math.max(1, index.size);
  const typed = index.dictionary.idOf(word.word.text);
  let capDf = 0;
  if (typed !== undefined && df[typed]! > 0) capDf = df[typed]!;
  else for (const d of word.derivations) capDf = Math.max(capDf, df[d.term]!);
  const cap = inverseDocumentFrequency(capDf, documents);
  return word.derivations.map((d) =>
    Math.min(inverseDocumentFrequency(df[d.term]!, documents), cap),
  );
}

function seenBefore(data: Int32Array, from: number, at: number, term: number): boolean {
  for (let k = from; k < at; k++) if (data[k] === term) return true;
  return false;
}

/**
 * The best `depth` eligible survivors by boosted score: the best by text are boosted
 * first, then any other whose text score times the ceiling reaches the bar.
 */
function boostedBest(
  mask: Uint32Array,
  memo: Uint8Array,
  docs: Int32Array,
  survivors: number,
  textScores: Float64Array,
  byText: TopK,
  request: ItemCompletionRequest,
): TopK {
  const boost = request.boost!;
  const ceiling = request.boostCeiling ?? Infinity;
  const best = new TopK(byText.k);
  for (const doc of byText.drain().docs) {
    best.push(boost(doc, textScores[doc]!), 0, doc);
    mask[doc]! |= OFFERED;
  }
  for (let i = 0; i < survivors; i++) {
    const doc = docs[i]!;
    if (memo[doc] !== 1 || (mask[doc]! & OFFERED) !== 0) continue;
    const text = textScores[doc]!;
    if (text * ceiling < best.floor) continue;
    const score = boost(doc, text);
    if (score >= best.floor) best.push(score, 0, doc);
  }
  return best;
}

/** Phrase and title signals on the best documents, then the page with highlights. */
function rankAndHighlight(
  state: SearchState,
  words: readonly ExpandedWord[],
  docs: readonly number[],
  fieldAllowed: Uint8Array,
  request: ItemCompletionRequest,
): SearchHit[] {
  const { index, analyzer, terms, reranker, scratch } = state;
  reranker.prepare(words);
  const scored = docs.map((doc) => {
    const text = scratch.total[doc]! * reranker.multiplier(doc);
    return { doc, score: request.boost ? request.boost(doc, text) : text };
  });
  scored.sort((a, b) => b.score - a.score || a.doc - b.doc);
  const hits: SearchHit[] = [];
  for (let i = 0; i < Math.min(request.limit, scored.length); i++) {
    const { doc, score } = scored[i]!;
    const item = state.items.at(doc);
    hits.push({
      doc,
      score,
      highlights: item
        ? highlightItem(item, fieldAllowed, index.fields, analyzer, index.dictionary, terms.matched)
        : {},
    });
  }
  return hits;
}
