import { TITLE_FIELD } from '../inverted-index/fields.js';
import type { TitleBuckets } from '../inverted-index/title-buckets.js';
import type { TitleTermCounts } from '../inverted-index/title-counts.js';
import { completeItems } from './complete-items.js';
import { executeSearch, type SearchState } from './execute.js';
import { expandWord, type Derivation, type ExpandedWord, type ExpansionContext } from './expand.js';
import type { TermDictionary } from '../inverted-index/term-dictionary.js';
import { parseQuery, type QueryWord } from './parse-query.js';
import type { QuerySuggestion, SearchHit, SuggestOptions, Suggestions } from './types.js';

/** Per term, a slot among the completions being counted; all zero between calls. */
class CompletionSlots {
  private slots = new Int32Array(0);

  ensure(terms: number): Int32Array {
    if (this.slots.length < terms)
      this.slots = new Int32Array(Math.max(terms, this.slots.length * 2));
    return this.slots;
  }
}

const completionSlots = new CompletionSlots();

/** Completions counted in context, the most frequent in titles overall. */
const MAX_COMPLETIONS = 32;
/**
 * Completions an item-completion search expands the last word to: few for one or two
 * letters (any title starting with a frequent word will do), more once the prefix says more.
 */
function itemPrefixExpansions(prefix: string): number {
  return prefix.length <= 2 ? 16 : 64;
}
/** Item completions re-ranked with phrase and title signals. */
const ITEM_RERANK_DEPTH = 25;

/**
 * Autocomplete for what is being typed: query suggestions (the earlier words, then the
 * most frequent title words completing the last one among titles that contain the
 * earlier words) and item completions (a title-only search, last word as a prefix).
 */
export function suggest(
  state: SearchState,
  titleCounts: TitleTermCounts,
  buckets: TitleBuckets,
  input: string,
  options: SuggestOptions = {},
): Suggestions {
  const itemLimit = options.items ?? 5;
  const words = parseQuery(input, state.analyzer, true);
  const last = words[words.length - 1];
  // Earlier words are whole words: expanded once, for both the items and the queries.
  const earlier = words.slice(0, -1).map((word) => expandWord(word, expansionContext(state)));
  const items =
    itemLimit > 0 ? completions(state, buckets, input, earlier, itemLimit, last, options) : [];
  if (last === undefined || !last.prefix) return { queries: [], items };
  return { queries: suggestQueries(state, titleCounts, words, earlier, options.limit ?? 5), items };
}

function expansionContext(state: SearchState, maxPrefixExpansions?: number): ExpansionContext {
  return {
    dictionary: state.index.dictionary,
    analyzer: state.analyzer,
    synonyms: state.synonyms,
    typos: true,
    ...(maxPrefixExpansions === undefined ? {} : { maxPrefixExpansions }),
  };
}

/**
 * A title-only search with the last word as a prefix: the fast conjunctive path, or the
 * general search when that has no answer (nothing typed, or no title with every word).
 */
function completions(
  state: SearchState,
  buckets: TitleBuckets,
  input: string,
  earlier: readonly ExpandedWord[],
  limit: number,
  last: QueryWord | undefined,
  options: SuggestOptions,
): readonly SearchHit[] {
  const maxPrefixExpansions = itemPrefixExpansions(last?.text ?? '');
  const words =
    last === undefined
      ? []
      : [...earlier, expandWord(last, expansionContext(state, maxPrefixExpansions))];
  const request = {
    limit,
    rerankDepth: Math.max(ITEM_RERANK_DEPTH, limit),
    maxPrefixExpansions,
    ...(options.filter ? { filter: options.filter } : {}),
    ...(options.boost ? { boost: options.boost } : {}),
    ...(options.boostCeiling !== undefined ? { boostCeiling: options.boostCeiling } : {}),
  };
  return (
    completeItems(state, buckets, words, request) ??
    executeSearch(
      state,
      input,
      {
        fields: ['title'],
        limit,
        ...(options.filter ? { filter: options.filter } : {}),
        ...(options.boost ? { boost: options.boost } : {}),
      },
      { maxPrefixExpansions: request.maxPrefixExpansions, rerankDepth: request.rerankDepth },
    ).hits
  );
}

function suggestQueries(
  state: SearchState,
  titleCounts: TitleTermCounts,
  words: readonly QueryWord[],
  expandedEarlier: readonly ExpandedWord[],
  limit: number,
): QuerySuggestion[] {
  const { dictionary } = state.index;
  const last = words[words.length - 1] as QueryWord;
  const completions: number[] = [];
  dictionary.forEachWithPrefix(last.text, (term) => {
    const word = dictionary.term(term);
    if (titleCounts.counts[term]! > 0 && (word === last.text || !state.analyzer.isStopWord(word)))
      completions.push(term);
  });
  const earlier = expandedEarlier.map((expanded) => {
    // Typo neighbours only stand in for a word that is not indexed as typed.
    const exact = expanded.derivations.filter((d) => d.exact);
    return exact.length > 0 ? { ...expanded, derivations: exact } : expanded;
  });
  const constraining = earlier.filter(({ word }) => !word.stop);
  const best = new BestCompletions(dictionary, limit);
  if (constraining.length === 0) {
    for (const term of completions) best.offer(term, titleCounts.counts[term]!);
  } else {
    completions.sort((a, b) => titleCounts.counts[b]! - titleCounts.counts[a]! || a - b);
    if (completions.length > MAX_COMPLETIONS) completions.length = MAX_COMPLETIONS;
    const counts = new Map<number, number>();
    countInContext(state, constraining, completions, counts);
    for (const [term, count] of counts) best.offer(term, count);
  }
  const prefixText = earlier.map((word) => correctedText(word, dictionary)).join(' ');
  return best.entries.map(({ text, count }) => ({
    text: prefixText ? `${prefixText} ${text}` : text,
    count,
  }));
}

/**
 * The `limit` best completions by count, then the shorter, then alphabetically; kept
 * sorted by insertion, as a one-letter prefix offers thousands and only a few are kept.
 */
class BestCompletions {
  readonly entries: { text: string; count: number }[] = [];

  constructor(
    private readonly dictionary: TermDictionary,
    private readonly limit: number,
  ) {}

  offer(term: number, count: number): void {
    const { entries, limit } = this;
    if (count <= 0 || limit <= 0) return;
    const worst = entries[entries.length - 1];
    if (entries.length === limit && worst !== undefined && count < worst.count) return;
    const text = this.dictionary.term(term);
    let at = entries.length;
    while (at > 0 && BestCompletions.before(text, count, entries[at - 1]!)) at--;
    if (at >= limit) return;
    entries.splice(at, 0, { text, count });
    if (entries.length > limit) entries.length = limit;
  }

  private static before(text: string, count: number, other: { text: string; count: number }) {
    if (count !== other.count) return count > other.count;
    if (text.length !== other.text.length) return text.length < other.text.length;
    return text < other.text;
  }
}

/** The word as typed when it is indexed, else its likeliest correction. */
function correctedText(expanded: ExpandedWord, dictionary: TermDictionary): string {
  let best: Derivation | undefined;
  for (const d of expanded.derivations) {
    if (d.exact && dictionary.term(d.term) === expanded.word.text) return expanded.word.text;
    if (
      best === undefined ||
      d.weight > best.weight ||
      (d.weight === best.weight && dictionary.df[d.term]! > dictionary.df[best.term]!)
    )
      best = d;
  }
  return best === undefined || expanded.word.stop ? expanded.word.text : dictionary.term(best.term);
}

/**
 * Counts, per completion, the visible titles containing it and every constraining word
 * (through any of its derivations). The titles matching all earlier words are marked by
 * counting each word's hits per document; then whichever is cheaper is walked: the
 * completions' title postings, or the marked titles' words.
 */
function countInContext(
  state: SearchState,
  constraining: readonly ExpandedWord[],
  completions: readonly number[],
  counts: Map<number, number>,
): void {
  const { index, scratch } = state;
  const postings = index.postings;
  scratch.ensure(index.capacity);
  try {
    // The rarest word first: it alone lists candidates, the others only narrow them.
    const byCost = constraining
      .map((word) => ({ word, cost: derivationsTitleCount(state, word.derivations) }))
      .sort((a, b) => a.cost - b.cost)
      .map(({ word }) => word);
    const contextSize = markContext(state, byCost);
    const target = constraining.length;
    const { mask } = scratch;
    let postingsCost = 0;
    for (const term of completions) postingsCost += titlePostingCount(state, term);
    if (postingsCost <= contextSize * averageTitleLength(state)) {
      const stale = postings.stale;
      for (const term of completions) {
        let count = 0;
        const key = postings.mainKey(term, TITLE_FIELD);
        if (key >= 0) {
          for (let p = postings.offsets[key]!, end = postings.offsets[key + 1]!; p < end; p++) {
            const doc = postings.docs[p]!;
            if (mask[doc] === target && stale[doc] !== 1) count++;
          }
        }
        const delta = postings.delta.get(term);
        if (delta !== undefined)
          for (let j = 0; j < delta.length; j += 3)
            if (delta[j + 1] === TITLE_FIELD && mask[delta[j]!] === target) count++;
        if (count > 0) counts.set(term, count);
      }
      return;
    }
    // Per term, its completion's slot + 1 (0: not a completion); counts per slot.
    const slots = completionSlots.ensure(index.dictionary.size);
    const slotCounts = new Int32Array(completions.length);
    completions.forEach((term, slot) => {
      slots[term] = slot + 1;
    });
    const forward = index.forward;
    const data = forward.data;
    const { candidates } = scratch;
    try {
      for (let i = 0; i < scratch.candidateCount; i++) {
        const doc = candidates[i]!;
        if (mask[doc] !== target) continue;
        const from = forward.offset(doc);
        const end = from + forward.length(doc);
        // The title is the document's first segment when it has one.
        if (data[from] !== -(TITLE_FIELD + 1)) continue;
        for (let k = from + 1; k < end; k++) {
          const term = data[k]!;
          if (term < 0) break;
          const slot = slots[term]!;
          if (slot === 0 || titleRepeats(data, from + 1, k, term)) continue;
          slotCounts[slot - 1]!++;
        }
      }
    } finally {
      for (const term of completions) slots[term] = 0;
    }
    completions.forEach((term, slot) => {
      if (slotCounts[slot]! > 0) counts.set(term, slotCounts[slot]!);
    });
  } finally {
    scratch.release();
  }
}

/**
 * Sets `mask[doc]` to k + 1 for visible documents whose title has the first k + 1
 * constraining words, listing them in `candidates`; returns how many have them all.
 */
function markContext(state: SearchState, constraining: readonly ExpandedWord[]): number {
  const { scratch, index } = state;
  const postings = index.postings;
  const { docs, offsets, stale } = postings;
  const hidden = state.visibility.hidden;
  const { mask, candidates } = scratch;
  let complete = 0;
  let count = scratch.candidateCount;
  for (let k = 0; k < constraining.length; k++) {
    const last = k === constraining.length - 1;
    for (const { term } of constraining[k]!.derivations) {
      const key = postings.mainKey(term, TITLE_FIELD);
      const delta = postings.delta.get(term);
      // The main segment's documents, then the delta's title entries (doc, field, tf).
      const mainEnd = key >= 0 ? offsets[key + 1]! : 0;
      const deltaLength = delta === undefined ? 0 : delta.length;
      for (let p = key >= 0 ? offsets[key]! : 0, j = 0; p < mainEnd || j < deltaLength; ) {
        let doc: number;
        if (p < mainEnd) {
          doc = docs[p++]!;
          if (stale[doc] === 1) continue;
        } else {
          const field = delta![j + 1];
          doc = delta![j]!;
          j += 3;
          if (field !== TITLE_FIELD) continue;
        }
        if (mask[doc] !== k || hidden[doc] === 1) continue;
        if (k === 0) candidates[count++] = doc;
        mask[doc] = k + 1;
        if (last) complete++;
      }
    }
  }
  scratch.candidateCount = count;
  return complete;
}

function titlePostingCount(state: SearchState, term: number): number {
  const postings = state.index.postings;
  const key = postings.mainKey(term, TITLE_FIELD);
  const main = key < 0 ? 0 : postings.offsets[key + 1]! - postings.offsets[key]!;
  return main + (postings.delta.get(term)?.length ?? 0) / 3;
}

function derivationsTitleCount(state: SearchState, derivations: readonly Derivation[]): number {
  let count = 0;
  for (const { term } of derivations) count += titlePostingCount(state, term);
  return count;
}

function averageTitleLength(state: SearchState): number {
  return state.index.averageLength(TITLE_FIELD);
}

/** Whether `term` already occurred in the title before position `at`. */
function titleRepeats(data: Int32Array, from: number, at: number, term: number): boolean {
  for (let k = from; k < at; k++) if (data[k] === term) return true;
  return false;
}
