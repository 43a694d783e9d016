import { EnglishAnalyzer, type Analyzer } from './text/analyzer.js';

/** BM25F weight of each field; 0 leaves a field out of the index entirely. */
export interface FieldWeights {
  readonly title: number;
  readonly categories: number;
  readonly tags: number;
  /** Every entry of `Item.text` not named in `textFields`. */
  readonly text: number;
  readonly textFields: Readonly<Record<string, number>>;
}

export interface SearchConfig {
  /** Defaults to English. */
  readonly analyzer?: Analyzer;
  readonly weights?: Partial<FieldWeights>;
  /** BM25 term-frequency saturation. */
  readonly k1?: number;
  /** BM25 length normalization: 0 ignores field length, 1 divides by it fully. */
  readonly b?: number;
  /** Groups of interchangeable single words, applied to queries. */
  readonly synonyms?: readonly (readonly string[])[];
  /** Attributes countable as facets, besides `categories` and `tags`. */
  readonly facetAttributes?: readonly string[];
  /** Numeric attributes results can be sorted by. */
  readonly sortableAttributes?: readonly string[];
}

export interface ResolvedSearchConfig {
  readonly analyzer: Analyzer;
  readonly weights: FieldWeights;
  readonly k1: number;
  readonly b: number;
  readonly synonyms: readonly (readonly string[])[];
  readonly facetAttributes: readonly string[];
  readonly sortableAttributes: readonly string[];
}

export const DEFAULT_WEIGHTS: FieldWeights = {
  title: 3,
  categories: 1.5,
  tags: 1,
  text: 1,
  textFields: {},
};

export function resolveSearchConfig(config: SearchConfig = {}): ResolvedSearchConfig {
  return {
    analyzer: config.analyzer ?? new EnglishAnalyzer(),
    weights: { ...DEFAULT_WEIGHTS, ...config.weights },
    k1: config.k1 ?? 1.2,
    b: config.b ?? 0.75,
    synonyms: config.synonyms ?? [],
    facetAttributes: config.facetAttributes ?? [],
    sortableAttributes: config.sortableAttributes ?? [],
  };
}

/**
 * What the stored index depends on: a snapshot taken under another fingerprint is not
 * reused. Weights and synonyms only steer queries, so changing them keeps snapshots.
 */
export function indexFingerprint(config: ResolvedSearchConfig): string {
  const w = config.weights;
  const unindexed = [
    w.title === 0 ? 'title' : '',
    w.categories === 0 ? 'categories' : '',
    w.tags === 0 ? 'tags' : '',
    w.text === 0 ? 'text' : '',
    ...Object.entries(w.textFields)
      .filter(([, weight]) => (weight === 0) !== (w.text === 0))
      .map(([key]) => `text.${key}`)
      .sort(),
  ].filter((name) => name !== '');
  return JSON.stringify({
    analyzer: config.analyzer.language,
    unindexed,
    facets: config.facetAttributes,
    sortable: config.sortableAttributes,
  });
}
