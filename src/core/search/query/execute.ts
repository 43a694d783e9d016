import type { FacetCount } from '../inverted-index/facets.js';
import { FacetStore } from '../inverted-index/facets.js';
import type { InvertedIndex } from '../inverted-index/inverted-index.js';
import type { SortableStore } from '../inverted-index/sortables.js';
import type { Visibility } from '../inverted-index/visibility.js';
import type { ItemSource } from '../item-source.js';
import type { Analyzer } from '../text/analyzer.js';
import type { Synonyms } from '../text/synonyms.js';
import { accumulateWord, type Bm25Parameters } from './accumulate.js';
import { expandWord, type ExpandedWord } from './expand.js';
import { highlightItem } from './highlight.js';
import { parseQuery } from './parse-query.js';
import type { Reranker } from './rerank.js';
import type { LengthNorms } from './length-norms.js';
import type { QueryScratch } from './scratch.js';
import type { TermMatchMap } from './term-match-map.js';
import { TopK } from './top-k.js';
import type { SearchHit, SearchOptions, SearchResult } from './types.js';

/** Candidates re-ranked with phrase and title signals; pages within it are consistent. */
export const RERANK_DEPTH = 100;
const MAX_LIMIT = 1000;
const DEFAULT_FACET_LIMIT = 100;

/** Everything a query reads; owned by `SearchIndex`. */
export interface SearchState {
  readonly index: InvertedIndex;
  readonly facets: FacetStore;
  readonly sortables: SortableStore;
  readonly visibility: Visibility;
  readonly items: ItemSource;
  readonly analyzer: Analyzer;
  readonly synonyms: Synonyms;
  readonly params: Bm25Parameters;
  readonly scratch: QueryScratch;
  readonly norms: LengthNorms;
  readonly terms: TermMatchMap;
  readonly reranker: Reranker;
}

/** Knobs callers inside the package turn for speed (autocomplete). */
export interface ExecutionLimits {
  readonly maxPrefixExpansions?: number;
  /** Default `RERANK_DEPTH`. */
  readonly rerankDepth?: number;
}

/** Matches, ranks, counts facets and highlights; see `SearchIndex.search`. */
export function executeSearch(
  state: SearchState,
  query: string,
  options: SearchOptions = {},
  limits: ExecutionLimits = {},
): SearchResult {
  const { index, scratch } = state;
  const limit = Math.max(0, Math.min(MAX_LIMIT, Math.floor(options.limit ?? 20)));
  const offset = Math.max(0, Math.floor(options.offset ?? 0));
  const fieldAllowed = new Uint8Array(index.fields.count);
  for (const field of index.fields.select(options.fields)) fieldAllowed[field] = 1;
  const facetIds = resolveFacets(state.facets, options.facets);
  const sortColumn = resolveSort(state.sortables, options);
  const facetLimit = options.facetLimit ?? DEFAULT_FACET_LIMIT;
  const words = parseQuery(query, state.analyzer, options.prefix ?? true);
  scratch.ensure(index.capacity);

  const expanded = words.map((word) =>
    expandWord(word, {
      dictionary: index.dictionary,
      analyzer: state.analyzer,
      synonyms: state.synonyms,
      typos: options.typos ?? true,
      ...(limits.maxPrefixExpansions !== undefined
        ? { maxPrefixExpansions: limits.maxPrefixExpansions }
        : {}),
    }),
  );
  state.terms.load(expanded, index.dictionary.size);
  try {
    const counter = new FacetCounter(state.facets, facetIds);
    const pageEnd = offset + limit;
    const heap = new TopK(
      sortColumn || words.length === 0
        ? pageEnd
        : Math.max(pageEnd, limits.rerankDepth ?? RERANK_DEPTH),
    );

    if (words.length === 0) {
      // Browsing: every visible document, by attribute, boost, or catalog order.
      const all = scratch.candidates;
      let count = 0;
      for (let doc = 0; doc < index.capacity; doc++) if (index.isIndexed(doc)) all[count++] = doc;
      scratch.candidateCount = count;
      const total = collect(state, 0, heap, counter, sortColumn, options);
      const hits = page(
        state,
        rank(state, heap, options, false),
        offset,
        limit,
        fieldAllowed,
        false,
      );
      return { hits, facets: counter.result(facetLimit), total };
    }

    state.norms.prepare(index, fieldAllowed, state.params);
    const matchCounts = expanded.map((word, i) =>
      accumulateWord(index, word, 1 << i, fieldAllowed, state.params, state.norms, scratch),
    );
    const any = options.match === 'any';
    const must = any
      ? contentWords(expanded)
      : requiredWords(expanded, matchCounts, scratch, eligibility(state, options.filter));
    const total = collect(state, must, heap, counter, sortColumn, options, any);
    state.reranker.prepare(expanded);
    const ranking = rank(state, heap, options, sortColumn === undefined);
    const hits = page(state, ranking, offset, limit, fieldAllowed, options.highlight ?? true);
    return { hits, facets: counter.result(facetLimit), total };
  } finally {
    state.terms.release();
    scratch.release();
  }
}

/**
 * The pass over every candidate: keeps those with the required words that are visible
 * and pass the filter, counts them and their facets, and offers them to the heap (by
 * attribute, or by text score through `boost`). Returns how many matched. One loop with
 * everything inlined: it runs once per matching document, which can be the catalog.
 */
function collect(
  state: SearchState,
  must: number,
  heap: TopK,
  counter: FacetCounter,
  sortColumn: Float64Array | undefined,
  options: SearchOptions,
  anyWord = false,
): number {
  const { candidates, candidateCount, mask, filterMemo, total: textScores } = state.scratch;
  const hidden = state.visibility.hidden;
  const { filter, boost } = options;
  const descending = options.sort?.order === 'desc';
  const countFacets = counter.active;
  let total = 0;
  for (let i = 0; i < candidateCount; i++) {
    const doc = candidates[i]!;
    const matched = mask[doc]! & must;
    if ((anyWord ? matched === 0 && must !== 0 : matched !== must) || hidden[doc] === 1) continue;
    if (filter) {
      const known = filterMemo[doc];
      if (known === 2) continue;
      if (known === 0) {
        const accepted = filter(doc);
        filterMemo[doc] = accepted ? 1 : 2;
        if (!accepted) continue;
      }
    }
    total++;
    if (countFacets) counter.add(doc);
    const text = textScores[doc]!;
    if (sortColumn) {
      const value = sortColumn[doc]!;
      const key = Number.isNaN(value) ? -Infinity : descending ? value : -value;
      if (key >= heap.floor) heap.push(key, text, doc);
    } else {
      const score = boost ? boost(doc, text) : text;
      if (score >= heap.floor) heap.push(score, 0, doc);
    }
  }
  return total;
}

/**
 * The words every result must contain: all but stop words when some document has them
 * all. Otherwise the fewest words are dropped that leave a match, and among equally
 * small sets of words that fail to co-occur with the rest, the rarest are dropped (a
 * word few documents contain is the likeliest to be misspelled beyond repair).
 */
function requiredWords(
  words: readonly ExpandedWord[],
  matchCounts: readonly number[],
  scratch: QueryScratch,
  eligible: (doc: number) => boolean,
): number {
  let all = 0;
  words.forEach(({ word }, i) => {
    if (!word.stop) all |= 1 << i;
  });
  const { candidates, mask } = scratch;
  for (let i = 0; i < scratch.candidateCount; i++) {
    const doc = candidates[i]!;
    if ((mask[doc]! & all) === all && eligible(doc)) return all;
  }
  let bestMissing = all;
  let bestSize = bitCount(all);
  let bestRarity = Infinity;
  for (let i = 0; i < scratch.candidateCount; i++) {
    const doc = candidates[i]!;
    const missing = all & ~mask[doc]!;
    const size = bitCount(missing);
    if (size > bestSize || missing === bestMissing || !eligible(doc)) continue;
    let rarity = 0;
    for (let w = 0; w < words.length; w++) if ((missing >>> w) & 1) rarity += matchCounts[w]!;
    if (size < bestSize || rarity < bestRarity) {
      bestMissing = missing;
      bestSize = size;
      bestRarity = rarity;
    }
  }
  return all & ~bestMissing;
}

/** Bits of the words that are not stop words (all of them when every word is one). */
function contentWords(words: readonly ExpandedWord[]): number {
  let content = 0;
  words.forEach(({ word }, i) => {
    if (!word.stop) content |= 1 << i;
  });
  return content === 0 ? (1 << words.length) - 1 : content;
}

function bitCount(mask: number): number {
  let count = 0;
  for (let rest = mask >>> 0; rest !== 0; rest &= rest - 1) count++;
  return count;
}

/** Not hidden and accepted by the filter, which is asked at most once per document. */
function eligibility(
  state: SearchState,
  filter: ((doc: number) => boolean) | undefined,
): (doc: number) => boolean {
  const hidden = state.visibility.hidden;
  if (!filter) return (doc) => hidden[doc] !== 1;
  const memo = state.scratch.filterMemo;
  return (doc) => {
    if (hidden[doc] === 1) return false;
    const known = memo[doc];
    if (known === 1) return true;
    if (known === 2) return false;
    const accepted = filter(doc);
    memo[doc] = accepted ? 1 : 2;
    return accepted;
  };
}

interface Ranking {
  readonly docs: readonly number[];
  readonly scores: readonly number[];
}

/**
 * Final order of the heap's documents. For relevance, the text score of each is
 * multiplied by its phrase and title signals before `boost` blends in the caller's
 * score; sorted results keep the attribute order and report the text score.
 */
function rank(state: SearchState, heap: TopK, options: SearchOptions, rerank: boolean): Ranking {
  const { docs } = heap.drain();
  const textScores = state.scratch.total;
  if (options.sort) return { docs, scores: docs.map((doc) => textScores[doc]!) };
  const scored = docs.map((doc) => {
    const text = rerank ? textScores[doc]! * state.reranker.multiplier(doc) : textScores[doc]!;
    return { doc, score: options.boost ? options.boost(doc, text) : text };
  });
  if (rerank) scored.sort((a, b) => b.score - a.score || a.doc - b.doc);
  return { docs: scored.map((s) => s.doc), scores: scored.map((s) => s.score) };
}

function page(
  state: SearchState,
  ranking: Ranking,
  offset: number,
  limit: number,
  fieldAllowed: Uint8Array,
  highlight: boolean,
): SearchHit[] {
  const hits: SearchHit[] = [];
  const end = Math.min(ranking.docs.length, offset + limit);
  for (let i = offset; i < end; i++) {
    const doc = ranking.docs[i]!;
    const item = highlight ? state.items.at(doc) : undefined;
    const { index, analyzer, terms } = state;
    hits.push({
      doc,
      score: ranking.scores[i]!,
      highlights: item
        ? highlightItem(item, fieldAllowed, index.fields, analyzer, index.dictionary, terms.matched)
        : {},
    });
  }
  return hits;
}

function resolveFacets(
  store: FacetStore,
  names: readonly string[] | undefined,
): Map<string, number> {
  const resolved = new Map<string, number>();
  for (const name of names ?? []) {
    const facet = store.facetOf(name);
    if (facet === undefined)
      throw new Error(`"${name}" is not a facet: list it in the search facetAttributes`);
    resolved.set(name, facet);
  }
  return resolved;
}

function resolveSort(store: SortableStore, options: SearchOptions): Float64Array | undefined {
  if (!options.sort) return undefined;
  const column = store.column(options.sort.attribute);
  if (column === undefined)
    throw new Error(`cannot sort by "${options.sort.attribute}": list it in sortableAttributes`);
  return column;
}

/** Facet value counts over every matching document. */
class FacetCounter {
  private readonly counts: Int32Array[];
  readonly active: boolean;

  constructor(
    private readonly store: FacetStore,
    private readonly facets: Map<string, number>,
  ) {
    this.counts = [...facets.values()].map((facet) => new Int32Array(store.valueCount(facet)));
    this.active = facets.size > 0;
  }

  add(doc: number): void {
    let at = 0;
    for (const facet of this.facets.values()) {
      const lists = this.store.listsOf(facet);
      const length = lists.length(doc);
      if (length > 0) {
        const counts = this.counts[at] as Int32Array;
        const data = lists.data;
        const from = lists.offset(doc);
        for (let k = from; k < from + length; k++) counts[data[k]!]!++;
      }
      at++;
    }
  }

  result(limit: number): Record<string, FacetCount[]> {
    const out: Record<string, FacetCount[]> = {};
    let at = 0;
    for (const [name, facet] of this.facets)
      out[name] = FacetStore.rank(this.store, facet, this.counts[at++] as Int32Array, limit);
    return out;
  }
}
