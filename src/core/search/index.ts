export { SearchIndex } from './search-index.js';
export type { SearchConfig, FieldWeights } from './config.js';
export type { ItemSource } from './item-source.js';
export type { FacetCount } from './inverted-index/facets.js';
export type {
  Highlights,
  HighlightRange,
  QuerySuggestion,
  SearchHit,
  SearchOptions,
  SearchResult,
  SortOrder,
  SuggestOptions,
  Suggestions,
} from './query/types.js';
export { markHighlights } from './query/highlight.js';
export { EnglishAnalyzer, type Analyzer, type WordVisitor } from './text/analyzer.js';
