import type { FacetCount } from '../inverted-index/facets.js';

/** [start, end) UTF-16 offsets of a matched word in a field's original text. */
export type HighlightRange = readonly [start: number, end: number];

/**
 * Matched words per field of a hit. Keys are `title`, `text.<key>` (entries of
 * `Item.text`), `categories.<i>` and `tags.<i>` (the i-th value); only fields with a
 * match appear. `markHighlights` turns ranges into `<em>`-tagged, HTML-escaped text.
 */
export type Highlights = Readonly<Record<string, readonly HighlightRange[]>>;

export interface SearchHit {
  /** The catalog's dense item index. */
  readonly doc: number;
  /** Relevance after `boost`, or the text score when results are sorted by attribute. */
  readonly score: number;
  readonly highlights: Highlights;
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  /** Exact counts over every matching document, per requested facet. */
  readonly facets: Readonly<Record<string, readonly FacetCount[]>>;
  /** Matching documents, all pages together. */
  readonly total: number;
}

export interface SortOrder {
  /** A numeric attribute listed in `sortableAttributes`. */
  readonly attribute: string;
  readonly order: 'asc' | 'desc';
}

export interface SearchOptions {
  /** Page size; default 20. */
  readonly limit?: number;
  readonly offset?: number;
  /** Keeps only documents it accepts; hidden items are always excluded. */
  readonly filter?: (doc: number) => boolean;
  /** Facets to count: `categories`, `tags`, or configured facet attributes. */
  readonly facets?: readonly string[];
  /** Values returned per facet, most frequent first; default 100. */
  readonly facetLimit?: number;
  /** Orders by an attribute instead of relevance (relevance breaks ties). */
  readonly sort?: SortOrder;
  /**
   * Blends a business or personal score into relevance, e.g.
   * `(doc, text) => text * (1 + 0.2 * popularity[doc])`. Called for every match.
   */
  readonly boost?: (doc: number, textScore: number) => number;
  /** Treat the last word as a prefix while it is being typed (no trailing space); default true. */
  readonly prefix?: boolean;
  /** Default true. */
  readonly typos?: boolean;
  /** Restricts matching to these fields: `title`, `categories`, `tags`, `text` (all text fields) or `text.<key>`. */
  readonly fields?: readonly string[];
  /** Default true. */
  readonly highlight?: boolean;
  /**
   * `all` (default): every word is required while some document has them all. `any`:
   * a document matching any word is a hit, ranked by BM25F (a "more like this" query).
   */
  readonly match?: 'all' | 'any';
}

export interface QuerySuggestion {
  /** The query completed: earlier words as typed, the last one completed. */
  readonly text: string;
  /** Titles containing all its words. */
  readonly count: number;
}

export interface SuggestOptions {
  /** Query suggestions returned; default 5. */
  readonly limit?: number;
  /** Item completions returned; default 5. */
  readonly items?: number;
  readonly filter?: (doc: number) => boolean;
  readonly boost?: (doc: number, textScore: number) => number;
  /**
   * A bound on what `boost` can make of a text score: `boost(doc, text) ≤ text ×
   * boostCeiling` for every document. Lets item completions skip calling `boost` for
   * documents that cannot make the cut; without it, `boost` is called for every match.
   */
  readonly boostCeiling?: number;
}

export interface Suggestions {
  readonly queries: readonly QuerySuggestion[];
  /** Items whose title matches what was typed, the last word as a prefix. */
  readonly items: readonly SearchHit[];
}
