import type { Item } from '../core/domain/item.js';
import type { Recommender } from '../core/recommend/recommender.js';
import {
  markHighlights,
  type FacetCount,
  type HighlightRange,
  type Highlights,
  type SortOrder,
} from '../core/search/index.js';
import { KindredError } from '../errors/catalog.js';
import type { Engine } from './engine.js';
import { fuseRankings, type RankedList } from './search-fusion.js';
import {
  SearchPersonalizer,
  type BlendExplanation,
  type Booster,
} from './search-personalization.js';
import { mergeBlend, type SearchBlend } from './search-settings.js';

/** A value a filter reads from `user.*` or `context.*` (the rule language's values). */
export type FilterValue = string | number | boolean | null | readonly FilterValue[];

/** A compiled rule-language filter, as `compileFilter(source)` returns it. */
export interface BindableFilter {
  bind(bindings: {
    readonly user?: Readonly<Record<string, FilterValue>> | undefined;
    readonly context?: Readonly<Record<string, FilterValue>> | undefined;
    readonly now?: number | undefined;
  }): (item: Item) => boolean;
}

/** Deepest result list fused by reciprocal rank fusion (and the deepest page reachable). */
export const MAX_RESULT_DEPTH = 1000;
/** How deep each list of a hybrid query is taken before fusing. */
const HYBRID_DEPTH = 100;
/** Text hits whose neighbours stand for a semantic query's meaning. */
const SEMANTIC_SEEDS = 3;

export interface SearchRequest {
  readonly q: string;
  readonly k: number;
  readonly offset: number;
  readonly userId?: string | undefined;
  readonly filter?: string | undefined;
  readonly facets?: readonly string[] | undefined;
  /** `attribute:asc` or `attribute:desc`. */
  readonly sort?: string | undefined;
  readonly explain?: boolean | undefined;
  readonly fields?: readonly string[] | undefined;
  readonly typos?: boolean | undefined;
  readonly prefix?: boolean | undefined;
  /** Overrides of the configured blend weights (a scenario's or the request's own). */
  readonly blend?: Partial<SearchBlend> | undefined;
  readonly similarTo?: string | undefined;
  readonly semantic?: boolean | undefined;
  /** Values bound as `context.*` in the filter. */
  readonly context?: Readonly<Record<string, FilterValue>> | undefined;
}

export interface HighlightView {
  readonly ranges: readonly HighlightRange[];
  /** The field's text, HTML-escaped, matched words in `<em>`. */
  readonly marked: string;
}

export interface HitExplanation extends Partial<BlendExplanation> {
  /** Hybrid queries: each list's 1-based rank of the hit (null: not in that list), and the fused score. */
  readonly ranks?: Readonly<Record<string, number | null>>;
  readonly rrf?: number;
}

export interface SearchHitView {
  readonly id: string;
  readonly score: number;
  readonly highlights: Readonly<Record<string, HighlightView>>;
  readonly explain?: HitExplanation;
}

export interface SearchAnswer {
  readonly hits: SearchHitView[];
  readonly facets: Readonly<Record<string, readonly FacetCount[]>>;
  readonly total: number;
}

export interface AutocompleteRequest {
  readonly q: string;
  readonly k: number;
  readonly items: number;
  readonly userId?: string | undefined;
  readonly filter?: string | undefined;
}

export interface AutocompleteAnswer {
  readonly queries: readonly { text: string; count: number }[];
  readonly items: readonly { id: string; title: string; score: number }[];
}

export interface SearchServiceOptions {
  /** The pipeline serving now (vectors for affinity and `similarTo`); absent without models. */
  readonly recommender?: () => Recommender | undefined;
  /** Items similar to an item by the trained pipeline, best first. */
  readonly similarItems?: (itemId: string, k: number) => readonly string[];
  /** Compiles (and caches) a filter in the rule language; absent: filters are refused. */
  readonly compileFilter?: (source: string) => BindableFilter;
}

/**
 * Search and autocomplete over the engine's `SearchIndex`: resolves ids, filters written
 * in the rule language, the personalized blend and hybrid lists, and shapes answers.
 * Synchronous from the index to the answer, so a request sees one state of the catalog.
 */
export class SearchService {
  private readonly personalizer: SearchPersonalizer;

  constructor(
    private readonly engine: Engine,
    private readonly options: SearchServiceOptions,
  ) {
    this.personalizer = new SearchPersonalizer(
      engine.readModels,
      engine.search,
      options.recommender ?? (() => undefined),
    );
  }

  start(): void {
    this.personalizer.start();
  }

  stop(): void {
    this.personalizer.stop();
  }

  search(request: SearchRequest): SearchAnswer {
    if (request.semantic === true && request.q.trim() === '')
      throw new KindredError('INVALID_REQUEST', 'semantic search needs a query (q)', {
        semantic: true,
      });
    const index = this.engine.search;
    for (const facet of request.facets ?? [])
      if (!index.facetNames.includes(facet))
        throw new KindredError('UNKNOWN_FACET', `"${facet}" is not a facet`, {
          facet,
          facets: index.facetNames,
        });
    const sort = request.sort === undefined ? undefined : this.parseSort(request.sort);
    const now = Date.now();
    const user = this.userIndex(request.userId);
    const blend = this.blendOf(request.blend);
    const booster = this.personalizer.prepare(blend, user, now);
    const filter = this.filterOf(request.filter, request.userId, request.context, now);
    const hybrid = request.similarTo !== undefined || request.semantic === true;
    const end = request.offset + request.k;
    if (end > MAX_RESULT_DEPTH)
      throw new KindredError('INVALID_REQUEST', `offset + k must be at most ${MAX_RESULT_DEPTH}`, {
        offset: request.offset,
        k: request.k,
      });

    const browsing = request.q.trim() === '';
    const explained = request.explain === true ? new Map<number, number>() : undefined;
    const boost = browsing
      ? (doc: number): number => booster.boost(doc, 1)
      : explained === undefined
        ? booster.boost
        : (doc: number, text: number): number => {
            explained.set(doc, text);
            return booster.boost(doc, text);
          };
    const textResult =
      hybrid && browsing
        ? undefined
        : index.search(request.q, {
            limit: hybrid ? Math.max(end, HYBRID_DEPTH) : request.k,
            offset: hybrid ? 0 : request.offset,
            ...(filter === undefined ? {} : { filter }),
            ...(request.facets === undefined ? {} : { facets: request.facets }),
            ...(sort === undefined ? {} : { sort }),
            boost,
            ...(request.prefix === undefined ? {} : { prefix: request.prefix }),
            ...(request.typos === undefined ? {} : { typos: request.typos }),
            ...(request.fields === undefined ? {} : { fields: request.fields }),
          });

    if (!hybrid) {
      const result = textResult!;
      return {
        hits: result.hits.map((hit) =>
          this.hitView(hit.doc, hit.score, hit.highlights, () =>
            explained === undefined
              ? undefined
              : booster.explain(hit.doc, browsing ? 1 : (explained.get(hit.doc) ?? hit.score)),
          ),
        ),
        facets: result.facets,
        total: result.total,
      };
    }
    return this.hybrid(request, textResult, filter, booster, explained);
  }

  autocomplete(request: AutocompleteRequest): AutocompleteAnswer {
    const now = Date.now();
    const user = this.userIndex(request.userId);
    const booster = this.personalizer.prepare(this.blendOf(undefined), user, now);
    const filter = this.filterOf(request.filter, request.userId, undefined, now);
    const suggestions = this.engine.search.suggest(request.q, {
      limit: request.k,
      items: request.items,
      boost: booster.boost,
      boostCeiling: booster.ceiling,
      ...(filter === undefined ? {} : { filter }),
    });
    const catalog = this.engine.readModels.catalog;
    const items: { id: string; title: string; score: number }[] = [];
    for (const hit of suggestions.items) {
      const item = catalog.at(hit.doc);
      if (item !== undefined) items.push({ id: item.id, title: item.title, score: hit.score });
    }
    return { queries: suggestions.queries, items };
  }

  /**
   * Text matches, items similar to `similarTo` by the trained pipeline's vectors and by
   * content (the item's own words, any of them, ranked by BM25F: its TF-IDF
   * neighbours), fused by reciprocal rank (k = 60). Facets and total come from the text
   * matches; without a query, total counts the fused items.
   */
  private hybrid(
    request: SearchRequest,
    textResult: ReturnType<Engine['search']['search']> | undefined,
    filter: ((doc: number) => boolean) | undefined,
    booster: Booster,
    explained: Map<number, number> | undefined,
  ): SearchAnswer {
    const catalog = this.engine.readModels.catalog;
    const index = this.engine.search;
    const lists: RankedList[] = [];
    if (textResult !== undefined)
      lists.push({ name: 'text', docs: textResult.hits.map((h) => h.doc) });
    if (request.similarTo !== undefined) {
      const anchor = catalog.ids.indexOf(request.similarTo);
      const anchorItem = anchor === undefined ? undefined : catalog.at(anchor);
      if (anchor === undefined || anchorItem === undefined)
        throw new KindredError('ITEM_NOT_FOUND', `no item "${request.similarTo}"`, {
          id: request.similarTo,
        });
      const accept = (doc: number): boolean =>
        doc !== anchor && index.isSearchable(doc) && (filter === undefined || filter(doc));
      const learned = this.learnedNeighbours(anchorItem.id, accept);
      if (learned !== undefined) lists.push({ name: 'learned', docs: learned });
      lists.push({ name: 'content', docs: this.contentNeighbours(anchorItem, accept) });
    } else {
      // Semantic: the best text matches stand for what the query means; their neighbours
      // by learned vectors (items people use alike) and by content join the text matches,
      // so items that fit the query without sharing its words are found too.
      const accept = (doc: number): boolean =>
        index.isSearchable(doc) && (filter === undefined || filter(doc));
      const seeds = (textResult?.hits ?? [])
        .slice(0, SEMANTIC_SEEDS)
        .map((hit) => catalog.at(hit.doc))
        .filter((item): item is Item => item !== undefined);
      const learned: RankedList[] = [];
      const content: RankedList[] = [];
      for (const seed of seeds) {
        const neighbours = this.learnedNeighbours(seed.id, accept);
        if (neighbours !== undefined) learned.push({ name: seed.id, docs: neighbours });
        content.push({ name: seed.id, docs: this.contentNeighbours(seed, accept) });
      }
      if (learned.length > 0)
        lists.push({
          name: 'learned',
          docs: fuseRankings(learned)
            .slice(0, HYBRID_DEPTH)
            .map((entry) => entry.doc),
        });
      if (content.length > 0)
        lists.push({
          name: 'content',
          docs: fuseRankings(content)
            .slice(0, HYBRID_DEPTH)
            .map((entry) => entry.doc),
        });
    }

    const fused = fuseRankings(lists);
    const highlights = new Map(textResult?.hits.map((hit) => [hit.doc, hit.highlights]));
    const page = fused.slice(request.offset, request.offset + request.k);
    return {
      hits: page.map((entry) =>
        this.hitView(entry.doc, entry.score, highlights.get(entry.doc) ?? {}, () => {
          if (explained === undefined) return undefined;
          const text = explained.get(entry.doc);
          return {
            ...(text === undefined ? {} : booster.explain(entry.doc, text)),
            ranks: entry.ranks,
            rrf: entry.score,
          };
        }),
      ),
      facets: textResult?.facets ?? {},
      total: textResult === undefined ? fused.length : Math.max(textResult.total, fused.length),
    };
  }

  private learnedNeighbours(
    itemId: string,
    accept: (doc: number) => boolean,
  ): number[] | undefined {
    if (this.options.similarItems === undefined) return undefined;
    let ids: readonly string[];
    try {
      ids = this.options.similarItems(itemId, HYBRID_DEPTH);
    } catch (error) {
      // No model yet: the content neighbours and the text matches still answer.
      if (error instanceof KindredError && error.code === 'NO_MODEL_TRAINED') return undefined;
      throw error;
    }
    const catalogIds = this.engine.readModels.catalog.ids;
    const docs: number[] = [];
    for (const id of ids) {
      const doc = catalogIds.indexOf(id);
      if (doc !== undefined && accept(doc)) docs.push(doc);
    }
    return docs;
  }

  private contentNeighbours(item: Item, accept: (doc: number) => boolean): number[] {
    const words = [item.title, ...item.categories, ...item.tags].join(' ');
    if (words.trim() === '') return [];
    const result = this.engine.search.search(`${words} `, {
      match: 'any',
      prefix: false,
      typos: false,
      highlight: false,
      limit: HYBRID_DEPTH,
      filter: accept,
    });
    return result.hits.map((hit) => hit.doc);
  }

  private hitView(
    doc: number,
    score: number,
    highlights: Highlights,
    explain: () => HitExplanation | undefined,
  ): SearchHitView {
    const item = this.engine.readModels.catalog.at(doc);
    const views: Record<string, HighlightView> = {};
    if (item !== undefined)
      for (const [field, ranges] of Object.entries(highlights)) {
        const text = fieldText(item, field);
        if (text !== undefined) views[field] = { ranges, marked: markHighlights(text, ranges) };
      }
    const explanation = explain();
    return {
      id: item?.id ?? '',
      score,
      highlights: views,
      ...(explanation === undefined ? {} : { explain: explanation }),
    };
  }

  private parseSort(raw: string): SortOrder {
    const at = raw.lastIndexOf(':');
    const attribute = at < 0 ? raw : raw.slice(0, at);
    const order = at < 0 ? 'asc' : raw.slice(at + 1);
    if (
      (order !== 'asc' && order !== 'desc') ||
      !this.engine.search.sortableNames.includes(attribute)
    )
      throw new KindredError(
        'NOT_SORTABLE',
        `cannot sort by "${raw}": use attribute:asc or attribute:desc with a sortable attribute`,
        { sort: raw, sortable: this.engine.search.sortableNames },
      );
    return { attribute, order };
  }

  private userIndex(userId: string | undefined): number | undefined {
    return userId === undefined ? undefined : this.engine.readModels.users.ids.indexOf(userId);
  }

  private blendOf(override: Partial<SearchBlend> | undefined): SearchBlend {
    return mergeBlend(this.engine.searchSettings.blend, override, (message) => {
      throw new KindredError('INVALID_REQUEST', `blend: ${message}`, { path: 'blend' });
    });
  }

  /** The filter as a predicate over dense item indexes, bound to this request. */
  private filterOf(
    source: string | undefined,
    userId: string | undefined,
    context: Readonly<Record<string, FilterValue>> | undefined,
    now: number,
  ): ((doc: number) => boolean) | undefined {
    if (source === undefined || source.trim() === '') return undefined;
    if (this.options.compileFilter === undefined)
      throw new KindredError('INVALID_REQUEST', 'filters are not available in this process', {
        path: 'filter',
      });
    const compiled = this.options.compileFilter(source);
    const user = userId === undefined ? undefined : this.engine.readModels.users.get(userId);
    const predicate = compiled.bind({
      user:
        user === undefined
          ? undefined
          : { ...(user.attributes as Record<string, FilterValue>), id: user.id },
      context,
      now: Math.floor(now / 1000),
    });
    const catalog = this.engine.readModels.catalog;
    return (doc) => {
      const item = catalog.at(doc);
      return item !== undefined && predicate(item);
    };
  }
}

/** The text a highlight key points into: `title`, `text.<key>`, `categories.<i>`, `tags.<i>`. */
function fieldText(item: Item, field: string): string | undefined {
  if (field === 'title') return item.title;
  const dot = field.indexOf('.');
  const kind = field.slice(0, dot);
  const key = field.slice(dot + 1);
  if (kind === 'text') return Object.hasOwn(item.text, key) ? item.text[key] : undefined;
  if (kind === 'categories') return item.categories[Number(key)];
  if (kind === 'tags') return item.tags[Number(key)];
  return undefined;
}
