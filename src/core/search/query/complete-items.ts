import { TITLE_FIELD } from '../inverted-index/fields.js';
import type { InvertedIndex } from '../inverted-index/inverted-index.js';
import type { TitleBuckets } from '../inverted-index/title-buckets.js';
import type { LengthNorms } from './length-norms.js';
import { inverseDocumentFrequency } from './accumulate.js';
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

const TITLE_MARK = -(TITLE_FIELD + 1);
/**
 * Bounds are sums taken in another order than the scores they bound; this margin covers
 * the rounding, so a title scoring exactly at its bound is never cut off.
 */
const BOUND_MARGIN = 1 + 1e-9;

/** Per-query working arrays, kept between queries (queries run one at a time). */
class CompletionScratch {
  /** Per query word, per term: the word's score scale through that term (0: not one). */
  termScales: Float64Array[] = [];
  /** Per query word, its best score in the title being checked. */
  wordScores = new Float64Array(32);
  /** Per query word, per title length: the most it scores in a title of that length. */
  bestAt: Float64Array[] = [];
  /** Per title length, the most the words other than the seed can add (-Infinity: none). */
  othersBound = new Float64Array(64);
  /** The same without the partner word. */
  restBound = new Float64Array(64);
  /** Seed groups to walk: bound, own score and (derivation, group), sorted through `order`. */
  groupBounds = new Float64Array(64);
  groupOwn = new Float64Array(64);
  groupTerms = new Int32Array(64);
  groupAt = new Int32Array(64);
  order = new Int32Array(64);

  ensure(terms: number, words: number, lengths: number): void {
    for (let w = 0; w < words; w++) {
      const scales = this.termScales[w];
      if (scales === undefined || scales.length < terms)
        this.termScales[w] = new Float64Array(Math.max(terms, (scales?.length ?? 0) * 2));
      const bestAt = this.bestAt[w];
      if (bestAt === undefined || bestAt.length < lengths)
        this.bestAt[w] = new Float64Array(Math.max(lengths, (bestAt?.length ?? 0) * 2));
      this.bestAt[w]!.fill(0, 0, lengths);
    }
    if (this.othersBound.length < lengths) {
      this.othersBound = new Float64Array(Math.max(lengths, this.othersBound.length * 2));
      this.restBound = new Float64Array(this.othersBound.length);
    }
  }

  ensureGroups(groups: number): void {
    if (this.groupBounds.length >= groups) return;
    const size = Math.max(groups, this.groupBounds.length * 2);
    this.groupBounds = new Float64Array(size);
    this.groupOwn = new Float64Array(size);
    this.groupTerms = new Int32Array(size);
    this.groupAt = new Int32Array(size);
    this.order = new Int32Array(size);
  }
}

const scratchArrays = new CompletionScratch();

/**
 * The words of `input` as item completions expand them: the last one as a prefix, to at
 * most `maxPrefixExpansions` completions.
 */
export function expandForCompletion(
  state: SearchState,
  input: string,
  maxPrefixExpansions: number,
): ExpandedWord[] {
  return parseQuery(input, state.analyzer, true).map((word) =>
    expandWord(word, {
      dictionary: state.index.dictionary,
      analyzer: state.analyzer,
      synonyms: state.synonyms,
      typos: true,
      maxPrefixExpansions,
    }),
  );
}

/**
 * Item completions for autocomplete: the same hits, scores and order as a title-only
 * `executeSearch` with every non-stop word required, computed for a fraction of its cost.
 * `words` are the query's words as `expandForCompletion` expands them.
 *
 * Titles are visited best first through `TitleBuckets`, from the groups (term,
 * occurrences, title length) of one required word, the seed (see `seedWord`). A group's
 * titles all give the seed the same score, and at a given length each other word can add
 * at most its best group of that length (nothing, for a required word, rules the length
 * out); groups are walked by that bound, the other words are checked in the forward list
 * of each title visited (or, past a point, by a per-document lookup of the partner
 * word), and the walk stops at the first group whose bound times the boost ceiling
 * cannot reach the worst of the best kept. "c", "dacan" or "dacan c", which tens of
 * thousands of titles match, cost a few hundred to a few thousand visits.
 *
 * `boost` is called only for titles with every required word whose text score times
 * `boostCeiling` can still beat the worst kept.
 *
 * Returns undefined when the general search must answer instead: nothing typed (a
 * listing), or no eligible document with every required word (the general search then
 * drops the fewest words that leave a match).
 */
export function completeItems(
  state: SearchState,
  buckets: TitleBuckets,
  words: readonly ExpandedWord[],
  request: ItemCompletionRequest,
): SearchHit[] | undefined {
  const { index, scratch } = state;
  const fieldAllowed = new Uint8Array(index.fields.count);
  for (const field of index.fields.select(['title'])) fieldAllowed[field] = 1;
  if (words.length === 0 || fieldAllowed[TITLE_FIELD] !== 1) return undefined;
  const dictionary = index.dictionary;
  scratch.ensure(index.capacity);
  state.terms.load(words, dictionary.size);
  try {
    state.norms.prepare(index, fieldAllowed, state.params);
    const best = walkBest(state, buckets, words, request);
    if (best === undefined || best.length === 0) return undefined;
    return rankAndHighlight(state, words, best.drain().docs, fieldAllowed, request);
  } finally {
    for (let w = 0; w < words.length; w++) {
      const scales = scratchArrays.termScales[w];
      if (scales !== undefined) for (const { term } of words[w]!.derivations) scales[term] = 0;
    }
    state.terms.release();
    scratch.release();
  }
}

/**
 * The word whose groups are walked. Every other word enters the bounds at its best, and
 * a title's actual score falls short of its bound by what those words miss there, so the
 * walk visits about the seed's titles times the share of the score left to the bounds.
 * "dacan c": "dacan", in most descriptions, is worth a tenth of the "c" completions, and
 * walking "c" stops after a few hundred titles where "dacan" would visit all its 43,000;
 * "zestsifo sote": the rare word goes first even though "sote" can score more.
 */
function seedWord(
  index: InvertedIndex,
  words: readonly ExpandedWord[],
  most: readonly number[],
): number | undefined {
  let sum = 0;
  for (const scale of most) sum += scale;
  let seed: number | undefined;
  let seedCost = Infinity;
  words.forEach(({ word, derivations }, w) => {
    if (word.stop) return;
    const share = sum > 0 ? (sum - most[w]!) / sum : 1;
    const cost = titlePostingCount(index, derivations) * share;
    if (cost < seedCost) {
      seed = w;
      seedCost = cost;
    }
  });
  return seed;
}

/** The other word that can score the most: the one the bounds are loosest about. */
function partnerWord(most: readonly number[], seed: number): number {
  let partner = -1;
  for (let w = 0; w < most.length; w++)
    if (w !== seed && (partner < 0 || most[w]! > most[partner]!)) partner = w;
  return partner;
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
 * The best `depth` eligible documents with every required word, by boosted text score,
 * their text scores left in `scratch.total` (undefined: every word is a stop word).
 *
 * With several words, once the walk has read more forward lists than laying out the
 * partner (the other word that can score the most) per document would cost, the
 * partner's score is laid out from its own groups: a title is then dropped or bounded by
 * a lookup, and its forward list read only when it can still enter.
 */
function walkBest(
  state: SearchState,
  buckets: TitleBuckets,
  words: readonly ExpandedWord[],
  request: ItemCompletionRequest,
): TopK | undefined {
  const { index, params, scratch } = state;
  const wordCount = words.length;
  const lengths = longestTitle(buckets, words) + 1;
  scratchArrays.ensure(index.dictionary.size, wordCount, lengths);
  const { termScales } = scratchArrays;
  const scaleFactor = params.k1 + 1;
  const most: number[] = [];
  for (let w = 0; w < wordCount; w++) {
    const word = words[w]!;
    const idfs = derivationIdfs(index, word);
    const scales = termScales[w]!;
    let scale = 0;
    word.derivations.forEach(({ term, weight }, at) => {
      scales[term] = weight * idfs[at]! * scaleFactor;
      scale = Math.max(scale, scales[term]);
    });
    most.push(scale);
    bestPerLength(state, buckets, word, scales, scratchArrays.bestAt[w]!);
  }
  const seed = seedWord(index, words, most);
  if (seed === undefined) return undefined;
  const partner = wordCount > 1 ? partnerWord(most, seed) : -1;
  const { othersBound, restBound } = scratchArrays;
  boundsPerLength(words, seed, -1, lengths, othersBound);
  boundsPerLength(words, seed, partner, lengths, restBound);
  const groups = seedGroups(state, buckets, words, seed);
  const partnerRequired = partner >= 0 && !words[partner]!.word.stop;
  const partnerLayout = new PartnerLayout(state);
  // On the product corpus a forward-list read (with the scoring around it) cost some
  // thirty to fifty times laying out one partner entry. Lay out once the reads would
  // have paid for it: at worst about twice the better choice's cost, not knowing how far
  // the walk goes.
  const layoutAfter =
    partner < 0 ? Infinity : titlePostingCount(index, words[partner]!.derivations) / 32;
  const { groupBounds, groupOwn, groupTerms, groupAt, order, wordScores } = scratchArrays;
  const { filter, boost } = request;
  const ceiling = boost ? (request.boostCeiling ?? Infinity) : 1;
  const best = new TopK(Math.max(request.limit, request.rerankDepth));
  const { mask, candidates, total } = scratch;
  const hidden = state.visibility.hidden;
  const partnerScores = scratch.wordScore;
  let forwardReads = 0;
  // Read once per push, not per title: a getter returning a double allocates a number.
  let floor = -Infinity;
  try {
    walk: for (let g = 0; g < groups; g++) {
      const at = order[g]!;
      const bound = groupBounds[at]!;
      // -Infinity: a required word never occurs in titles of this length.
      if (bound === -Infinity || bound * ceiling < floor) break;
      const own = groupOwn[at]!;
      const bucket = buckets.of(groupTerms[at]!)![groupAt[at]!]!;
      const rest = restBound[bucket.length]!;
      const { docs, versions } = bucket;
      for (let i = 0; i < bucket.size; i++) {
        if (bound * ceiling < floor) break walk;
        const doc = docs[i]!;
        if (mask[doc] !== 0 || !buckets.isCurrent(doc, versions[i]!)) continue;
        mask[doc] = 1;
        candidates[scratch.candidateCount++] = doc;
        if (hidden[doc] === 1) continue;
        let text: number;
        if (wordCount === 1) text = own;
        else if (partnerLayout.ready && partnerScores[doc] === 0 && partnerRequired) continue;
        // Two words: both scores known, and a sum of two is the same in either order.
        else if (partnerLayout.ready && wordCount === 2) text = own + partnerScores[doc]!;
        else if (
          partnerLayout.ready &&
          (own + partnerScores[doc]! + rest) * BOUND_MARGIN * ceiling < floor
        )
          continue;
        else {
          if (++forwardReads > layoutAfter && !partnerLayout.ready)
            partnerLayout.build(buckets, words, partner);
          if (!scoreTitle(state, doc, words)) continue;
          // Summed in word order, as the general search sums them, for identical scores.
          text = 0;
          for (let w = 0; w < wordCount; w++) text += wordScores[w]!;
        }
        total[doc] = text;
        if (text * ceiling < floor) continue;
        if (filter && !filter(doc)) continue;
        const score = boost ? boost(doc, text) : text;
        if (score >= floor) {
          best.push(score, 0, doc);
          floor = best.floor;
        }
      }
    }
  } finally {
    partnerLayout.release();
  }
  return best;
}

/** The longest title any group of the words' derivations holds. */
function longestTitle(buckets: TitleBuckets, words: readonly ExpandedWord[]): number {
  let longest = 0;
  for (const { derivations } of words)
    for (const { term } of derivations)
      for (const group of buckets.of(term) ?? []) longest = Math.max(longest, group.length);
  return longest;
}

/** Per title length, the word's best score among its groups of that length (0: none). */
function bestPerLength(
  state: SearchState,
  buckets: TitleBuckets,
  word: ExpandedWord,
  scales: Float64Array,
  bestAt: Float64Array,
): void {
  const { norms, params } = state;
  for (const { term } of word.derivations) {
    for (const group of buckets.of(term) ?? []) {
      if (group.size === 0) continue;
      const score = titleScore(scales[term]!, group.occurrences, group.length, norms, params.k1);
      if (score > bestAt[group.length]!) bestAt[group.length] = score;
    }
  }
}

/**
 * Per title length, the most the words other than the seed (and `partner`, unless -1)
 * can add together; -Infinity where a required one has no title of that length.
 */
function boundsPerLength(
  words: readonly ExpandedWord[],
  seed: number,
  partner: number,
  lengths: number,
  out: Float64Array,
): void {
  out.fill(0, 0, lengths);
  for (let w = 0; w < words.length; w++) {
    if (w === seed || w === partner) continue;
    const bestAt = scratchArrays.bestAt[w]!;
    const required = !words[w]!.word.stop;
    for (let length = 0; length < lengths; length++)
      out[length] = required && bestAt[length] === 0 ? -Infinity : out[length]! + bestAt[length]!;
  }
}

/**
 * One word's best title score per document (`scratch.wordScore`), from its groups, each
 * of which gives all its titles the same score.
 */
class PartnerLayout {
  ready = false;
  private count = 0;

  constructor(private readonly state: SearchState) {}

  build(buckets: TitleBuckets, words: readonly ExpandedWord[], partner: number): void {
    const { scratch, norms, params } = this.state;
    const scores = scratch.wordScore;
    const listed = scratch.wordDocs;
    const scales = scratchArrays.termScales[partner]!;
    let count = this.count;
    this.ready = true;
    for (const { term } of words[partner]!.derivations) {
      for (const group of buckets.of(term) ?? []) {
        const score = titleScore(scales[term]!, group.occurrences, group.length, norms, params.k1);
        const { docs, versions } = group;
        for (let i = 0; i < group.size; i++) {
          const doc = docs[i]!;
          if (!buckets.isCurrent(doc, versions[i]!)) continue;
          const previous = scores[doc]!;
          if (previous === 0) listed[count++] = doc;
          if (score > previous) scores[doc] = score;
        }
      }
    }
    this.count = count;
  }

  /** Leaves `scratch.wordScore` zeroed, as other queries expect it. */
  release(): void {
    const { wordScore, wordDocs } = this.state.scratch;
    for (let i = 0; i < this.count; i++) wordScore[wordDocs[i]!] = 0;
    this.count = 0;
    this.ready = false;
  }
}

/**
 * Lists the seed word's groups in `scratchArrays`, each with its titles' seed score and
 * the most a title in it can score, and sorts them best first through `order` (by own
 * score on equal bounds: a title's groups all have its length, so it is first met in the
 * group of its best derivation); returns how many there are.
 */
function seedGroups(
  state: SearchState,
  buckets: TitleBuckets,
  words: readonly ExpandedWord[],
  seed: number,
): number {
  const { norms, params } = state;
  const seedScales = scratchArrays.termScales[seed]!;
  const { othersBound } = scratchArrays;
  let groups = 0;
  for (const { term } of words[seed]!.derivations) groups += buckets.of(term)?.length ?? 0;
  scratchArrays.ensureGroups(groups);
  const { groupBounds, groupOwn, groupTerms, groupAt, order } = scratchArrays;
  let g = 0;
  for (const { term } of words[seed]!.derivations) {
    const scale = seedScales[term]!;
    const termGroups = buckets.of(term) ?? [];
    for (let at = 0; at < termGroups.length; at++) {
      const { length, occurrences } = termGroups[at]!;
      const own = titleScore(scale, occurrences, length, norms, params.k1);
      groupOwn[g] = own;
      groupBounds[g] = (own + othersBound[length]!) * BOUND_MARGIN;
      groupTerms[g] = term;
      groupAt[g] = at;
      order[g] = g;
      g++;
    }
  }
  const byBound = order.subarray(0, groups);
  // -1, 0 or 1, not a difference of doubles, which would allocate a number per call.
  byBound.sort((a, b) => {
    const x = groupBounds[a]!;
    const y = groupBounds[b]!;
    if (x !== y) return x > y ? -1 : 1;
    const ownA = groupOwn[a]!;
    const ownB = groupOwn[b]!;
    return ownA > ownB ? -1 : ownA < ownB ? 1 : a - b;
  });
  return groups;
}

/**
 * Each word's best score in the document's title into `wordScores`; false when a
 * required word is missing.
 */
function scoreTitle(state: SearchState, doc: number, words: readonly ExpandedWord[]): boolean {
  const { index, norms, params } = state;
  const { termScales, wordScores } = scratchArrays;
  const matched = state.terms.matched;
  const wordCount = words.length;
  wordScores.fill(0, 0, wordCount);
  const forward = index.forward;
  const data = forward.data;
  const count = forward.length(doc);
  const from = forward.offset(doc);
  if (count === 0 || data[from] !== TITLE_MARK) return false;
  const end = from + count;
  const length = (index.lengths[TITLE_FIELD] as Uint32Array)[doc]!;
  for (let k = from + 1; k < end; k++) {
    const term = data[k]!;
    if (term < 0) break;
    const bits = matched[term]!;
    if (bits === 0 || seenBefore(data, from + 1, k, term)) continue;
    let tf = 1;
    for (let j = k + 1; j < end && data[j]! >= 0; j++) if (data[j] === term) tf++;
    for (let rest = bits; rest !== 0; rest &= rest - 1) {
      const w = 31 - Math.clz32(rest & -rest);
      const score = titleScore(termScales[w]![term]!, tf, length, norms, params.k1);
      if (score > wordScores[w]!) wordScores[w] = score;
    }
  }
  for (let w = 0; w < wordCount; w++) if (wordScores[w] === 0 && !words[w]!.word.stop) return false;
  return true;
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
