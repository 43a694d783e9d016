import { boundedEditDistance } from '../text/edit-distance.js';

export type TermVisitor = (term: number) => void;
export type FuzzyVisitor = (term: number, distance: number) => void;

/** Longest common prefix stored per sorted neighbour; longer prefixes are just recomputed. */
const MAX_LCP = 255;
const MAX_CACHED_LOOKUPS = 1024;

/**
 * Normalized words <-> dense term ids, with document frequencies, the stem groups
 * (surface words sharing a stem) and a sorted view for prefix and typo lookups.
 *
 * Ids are never reused, so postings and forward lists can hold them. New terms land in
 * an unsorted tail that lookups scan directly; the tail is merged into the sorted view
 * lazily, at the first lookup after it outgrew a small fraction of the vocabulary, so a
 * bulk load pays for no sorting at all.
 */
export class TermDictionary {
  private readonly idByTerm = new Map<string, number>();
  private readonly terms: string[] = [];
  private readonly stemGroups = new Map<string, number[]>();
  /** Live documents containing the term in any field. */
  df = new Int32Array(1024);

  private sortedIds = new Int32Array(0);
  private sortedTerms: string[] = [];
  private lcp = new Uint8Array(0);
  private maxSortedLength = 0;
  /**
   * Typo lookups by (budget, word), as (term, distance) pairs. People retype the same
   * words (autocomplete sends every keystroke), and the walk's result changes only when
   * a term is added, which empties the cache; terms whose df fell to 0 are skipped by
   * callers anyway.
   */
  private readonly fuzzyCache = new Map<string, Int32Array>();
  private fuzzyCacheSize = 0;

  constructor(private readonly stem: (word: string) => string) {}

  get size(): number {
    return this.terms.length;
  }

  term(id: number): string {
    return this.terms[id] as string;
  }

  idOf(term: string): number | undefined {
    return this.idByTerm.get(term);
  }

  intern(term: string): number {
    let id = this.idByTerm.get(term);
    if (id !== undefined) return id;
    id = this.terms.length;
    this.terms.push(term);
    this.idByTerm.set(term, id);
    const key = this.stem(term);
    const group = this.stemGroups.get(key);
    if (group) group.push(id);
    else this.stemGroups.set(key, [id]);
    if (id >= this.df.length) {
      const bigger = new Int32Array(this.df.length * 2);
      bigger.set(this.df);
      this.df = bigger;
    }
    return id;
  }

  /** Surface terms whose stem is `stem` ("run" -> run, runs, running). */
  withStem(stem: string): readonly number[] {
    return this.stemGroups.get(stem) ?? [];
  }

  /** Every term starting with `prefix`, in no particular order. */
  forEachWithPrefix(prefix: string, visit: TermVisitor): void {
    this.refreshSortedView();
    const sorted = this.sortedTerms;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as string) < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length && (sorted[i] as string).startsWith(prefix); i++)
      visit(this.sortedIds[i]!);
    for (let id = this.sortedIds.length; id < this.terms.length; id++)
      if ((this.terms[id] as string).startsWith(prefix)) visit(id);
  }

  /**
   * Every term within `maxDistance` edits (Levenshtein with transpositions) of `word`.
   * Walks the sorted view as an implicit trie: consecutive terms share their common
   * prefix's rows of the edit-distance table, and once a prefix's row exceeds the budget
   * every term under that prefix is skipped, so only a thin slice of the vocabulary is
   * ever compared.
   */
  forEachWithin(word: string, maxDistance: number, visit: FuzzyVisitor): void {
    if (this.fuzzyCacheSize !== this.terms.length) {
      this.fuzzyCache.clear();
      this.fuzzyCacheSize = this.terms.length;
    }
    const key = `${maxDistance}:${word}`;
    let found = this.fuzzyCache.get(key);
    if (found === undefined) {
      const pairs: number[] = [];
      this.walkWithin(word, maxDistance, (term, distance) => pairs.push(term, distance));
      found = Int32Array.from(pairs);
      if (this.fuzzyCache.size >= MAX_CACHED_LOOKUPS) this.fuzzyCache.clear();
      this.fuzzyCache.set(key, found);
    }
    for (let i = 0; i < found.length; i += 2) visit(found[i]!, found[i + 1]!);
  }

  private walkWithin(word: string, maxDistance: number, visit: FuzzyVisitor): void {
    this.refreshSortedView();
    const m = word.length;
    const stride = m + 1;
    const rows = new Int32Array((this.maxSortedLength + 1) * stride);
    const over = maxDistance + 1;
    for (let j = 0; j <= m; j++) rows[j] = j;
    const sorted = this.sortedTerms;
    const lcp = this.lcp;
    const n = sorted.length;
    let validDepth = 0;
    let i = 0;
    outer: while (i < n) {
      const term = sorted[i] as string;
      for (let d = Math.min(lcp[i]!, validDepth) + 1; d <= term.length; d++) {
        const ch = term.charCodeAt(d - 1);
        const before = d > 1 ? term.charCodeAt(d - 2) : -1;
        const base = d * stride;
        const prev = base - stride;
        const prev2 = prev - stride;
        // Only cells within `maxDistance` of the diagonal can stay within budget; the
        // band's neighbours hold `over` so the next row reads them as out of budget.
        const lo = Math.max(1, d - maxDistance);
        const hi = Math.min(m, d + maxDistance);
        rows[base] = d;
        if (lo > 1) rows[base + lo - 1] = over;
        let rowMin = lo === 1 ? d : over;
        for (let j = lo; j <= hi; j++) {
          const wj = word.charCodeAt(j - 1);
          let value = rows[prev + j - 1]! + (wj === ch ? 0 : 1);
          const deletion = rows[prev + j]! + 1;
          if (deletion < value) value = deletion;
          const insertion = rows[base + j - 1]! + 1;
          if (insertion < value) value = insertion;
          if (d > 1 && j > 1 && ch === word.charCodeAt(j - 2) && before === wj) {
            const transposition = rows[prev2 + j - 2]! + 1;
            if (transposition < value) value = transposition;
          }
          rows[base + j] = value;
          if (value < rowMin) rowMin = value;
        }
        if (hi < m) rows[base + hi + 1] = over;
        validDepth = d;
        if (rowMin > maxDistance) {
          // No word under this prefix can come back within budget: skip the run of words
          // sharing it (contiguous in sorted order), galloping then bisecting.
          i = endOfRun(sorted, lcp, i, d);
          continue outer;
        }
      }
      validDepth = term.length;
      // The last cell is only computed when the lengths are within budget of each other.
      if (Math.abs(term.length - m) <= maxDistance) {
        const distance = rows[term.length * stride + m]!;
        if (distance <= maxDistance) visit(this.sortedIds[i]!, distance);
      }
      i++;
    }
    for (let id = this.sortedIds.length; id < this.terms.length; id++) {
      const distance = boundedEditDistance(word, this.terms[id] as string, maxDistance);
      if (distance <= maxDistance) visit(id, distance);
    }
  }

  /** Merges the unsorted tail into the sorted view once it is worth it. */
  private refreshSortedView(): void {
    const sortedCount = this.sortedIds.length;
    const tail = this.terms.length - sortedCount;
    if (tail === 0 || tail < Math.max(32, this.terms.length >>> 6)) return;
    const terms = this.terms;
    const added = Array.from({ length: tail }, (_, k) => sortedCount + k);
    added.sort((a, b) => ((terms[a] as string) < (terms[b] as string) ? -1 : 1));
    const ids = new Int32Array(this.terms.length);
    let a = 0;
    let b = 0;
    for (let k = 0; k < ids.length; k++) {
      const fromOld =
        b >= added.length ||
        (a < sortedCount && (terms[this.sortedIds[a]!] as string) < (terms[added[b]!] as string));
      ids[k] = fromOld ? this.sortedIds[a++]! : added[b++]!;
    }
    this.sortedIds = ids;
    this.sortedTerms = Array.from(ids, (id) => terms[id] as string);
    this.lcp = new Uint8Array(ids.length);
    let maxLength = 0;
    for (let k = 0; k < ids.length; k++) {
      const term = this.sortedTerms[k] as string;
      if (term.length > maxLength) maxLength = term.length;
      if (k === 0) continue;
      const previous = this.sortedTerms[k - 1] as string;
      const limit = Math.min(term.length, previous.length, MAX_LCP);
      let common = 0;
      while (common < limit && term.charCodeAt(common) === previous.charCodeAt(common)) common++;
      this.lcp[k] = common;
    }
    this.maxSortedLength = maxLength;
  }

  /** Terms in id order, for snapshots. */
  toJSON(): readonly string[] {
    return this.terms;
  }

  static fromJSON(
    terms: readonly string[],
    df: Int32Array,
    stem: (word: string) => string,
  ): TermDictionary {
    const dictionary = new TermDictionary(stem);
    for (const term of terms) dictionary.intern(term);
    dictionary.df = new Int32Array(Math.max(1024, df.length));
    dictionary.df.set(df);
    return dictionary;
  }
}

/**
 * The first index after `start` whose word does not share the first `depth` characters of
 * `sorted[start]`. Neighbours are checked through `lcp` first (most runs are short), then
 * the search gallops and bisects on the strings.
 */
function endOfRun(
  sorted: readonly string[],
  lcp: Uint8Array,
  start: number,
  depth: number,
): number {
  const n = sorted.length;
  let i = start + 1;
  for (let steps = 0; steps < 8; steps++, i++) if (i >= n || lcp[i]! < depth) return i;
  const prefix = (sorted[start] as string).slice(0, depth);
  let low = i;
  let step = 8;
  let high = i + step;
  while (high < n && (sorted[high] as string).startsWith(prefix)) {
    low = high + 1;
    step *= 2;
    high = low + step;
  }
  high = Math.min(high, n);
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as string).startsWith(prefix)) low = mid + 1;
    else high = mid;
  }
  return low;
}
