import type { Hash } from 'node:crypto';
import type { Item } from '../domain/item.js';
import type { StoredEvent } from '../events/envelope.js';
import {
  EventTypes,
  type ItemDeletedPayload,
  type ItemPatchedPayload,
  type ItemUpsertedPayload,
} from '../events/event-types.js';
import type { Projection, ProjectionState } from '../projections/projection.js';
import { detachJson, detachState } from '../projections/snapshot-codec.js';
import {
  indexFingerprint,
  resolveSearchConfig,
  type ResolvedSearchConfig,
  type SearchConfig,
} from './config.js';
import { FacetStore } from './inverted-index/facets.js';
import { InvertedIndex, type InvertedIndexJson } from './inverted-index/inverted-index.js';
import type { PackedLists } from './inverted-index/packed-lists.js';
import { SortableStore } from './inverted-index/sortables.js';
import { TitleBuckets } from './inverted-index/title-buckets.js';
import { TitleTermCounts } from './inverted-index/title-counts.js';
import { Visibility } from './inverted-index/visibility.js';
import type { ItemSource } from './item-source.js';
import { executeSearch, type SearchState } from './query/execute.js';
import { Reranker } from './query/rerank.js';
import { LengthNorms } from './query/length-norms.js';
import { QueryScratch } from './query/scratch.js';
import { suggest } from './query/suggest.js';
import { TermMatchMap } from './query/term-match-map.js';
import type { SearchOptions, SearchResult, SuggestOptions, Suggestions } from './query/types.js';
import { Synonyms } from './text/synonyms.js';

const SNAPSHOT_VERSION = 1;

interface SearchSnapshotJson {
  readonly version: number;
  readonly fingerprint: string;
  readonly index: InvertedIndexJson;
  readonly facets: Readonly<Record<string, readonly string[]>>;
}

/**
 * Full-text search over the catalog, as a projection: fed item events after the
 * `Catalog` (whose dense item indexes are the document ids and whose items it reads for
 * patches and highlights), snapshotted with the other read models.
 *
 * Writes are visible to the next search at once: a replaced or deleted item's old
 * postings are skipped from the moment the event is applied.
 */
export class SearchIndex implements Projection {
  readonly name = 'search';
  private readonly config: ResolvedSearchConfig;
  private readonly synonyms: Synonyms;
  private state: SearchState;
  private titleCounts = new TitleTermCounts();
  /** The last snapshot's state, while the index is as it was then (see `snapshot`). */
  private exported: { state: SearchState; snapshot: ProjectionState } | undefined;
  private titleBuckets = new TitleBuckets();

  constructor(
    private readonly items: ItemSource,
    config: SearchConfig = {},
  ) {
    this.config = resolveSearchConfig(config);
    this.synonyms = new Synonyms(this.config.synonyms, this.config.analyzer);
    this.state = this.freshState(InvertedIndex.create(this.config.analyzer, this.config.weights));
  }

  /** Facets a search can count: `categories`, `tags` and the configured attributes. */
  get facetNames(): readonly string[] {
    return this.state.facets.names;
  }

  /** Attributes a search can sort by. */
  get sortableNames(): readonly string[] {
    return this.config.sortableAttributes;
  }

  /** Whether `doc` is in the index and not hidden: what a search may return. */
  isSearchable(doc: number): boolean {
    return this.state.index.isIndexed(doc) && !this.state.visibility.isHidden(doc);
  }

  /**
   * A facet's values as integers: per document its value ids
   * (`lists.data[lists.offset(doc) ..+ lists.length(doc)]`) and how many distinct values
   * exist. For per-request scoring without strings; valid until the next write.
   */
  facetColumn(
    name: string,
  ): { readonly lists: PackedLists; readonly valueCount: number } | undefined {
    const facets = this.state.facets;
    const facet = facets.facetOf(name);
    if (facet === undefined) return undefined;
    return { lists: facets.listsOf(facet), valueCount: facets.valueCount(facet) };
  }

  /** Indexed items (hidden ones included). */
  get size(): number {
    return this.state.index.size;
  }

  apply(event: StoredEvent): void {
    switch (event.type) {
      case EventTypes.itemUpserted.type:
        this.refresh((event.payload as ItemUpsertedPayload).item.id);
        break;
      case EventTypes.itemPatched.type:
        this.refresh((event.payload as ItemPatchedPayload).id);
        break;
      case EventTypes.itemDeleted.type: {
        const doc = this.items.ids.indexOf((event.payload as ItemDeletedPayload).id);
        if (doc !== undefined) this.remove(doc);
        break;
      }
    }
  }

  /**
   * Matches `query` (last word as a prefix, typo-tolerant, all words required when some
   * document has them all) and returns a page of hits, facet counts over all matches
   * and the exact total. An empty query lists every visible item.
   */
  search(query: string, options: SearchOptions = {}): SearchResult {
    return executeSearch(this.state, query, options);
  }

  /** Autocomplete: query completions and items whose title matches what is typed. */
  suggest(input: string, options: SuggestOptions = {}): Suggestions {
    return suggest(this.state, this.titleCounts, this.titleBuckets, input, options);
  }

  /** Folds recent writes into the compact main segment (also done automatically). */
  compact(): void {
    this.state.index.compact();
  }

  private refresh(id: string): void {
    const doc = this.items.ids.indexOf(id);
    const item = doc === undefined ? undefined : this.items.at(doc);
    if (doc !== undefined && item !== undefined) this.upsert(doc, item);
  }

  private upsert(doc: number, item: Item): void {
    const { index, visibility, facets, sortables } = this.state;
    this.exported = undefined;
    if (index.isIndexed(doc) && !visibility.isHidden(doc)) this.titleCounts.adjust(index, doc, -1);
    index.upsert(doc, item);
    this.titleBuckets.update(index, doc);
    visibility.set(doc, item.hidden);
    if (!item.hidden) this.titleCounts.adjust(index, doc, 1);
    facets.update(doc, item);
    sortables.update(doc, item);
  }

  private remove(doc: number): void {
    const { index, visibility, facets, sortables } = this.state;
    if (!index.isIndexed(doc)) return;
    this.exported = undefined;
    if (!visibility.isHidden(doc)) this.titleCounts.adjust(index, doc, -1);
    index.remove(doc);
    this.titleBuckets.remove(doc);
    visibility.set(doc, false);
    facets.remove(doc);
    sortables.remove(doc);
  }

  checksum(hash: Hash): void {
    const { index, visibility, facets, sortables } = this.state;
    hash.update(`search:${indexFingerprint(this.config)}:${index.size}\n`);
    const dictionary = index.dictionary;
    const forward = index.forward;
    for (let doc = 0; doc < index.capacity; doc++) {
      if (!index.isIndexed(doc)) continue;
      const words: string[] = [];
      const from = forward.offset(doc);
      for (let k = from; k < from + forward.length(doc); k++) {
        const value = forward.data[k]!;
        words.push(value < 0 ? `#${index.fields.name(-value - 1)}` : dictionary.term(value));
      }
      const facetValues = facets.names.map((_, facet) => facets.valuesOf(facet, doc).join('|'));
      const sortValues = sortables.names.map((name) => String(sortables.column(name)?.[doc]));
      hash.update(
        `${doc}\t${visibility.isHidden(doc) ? 1 : 0}\t${words.join(' ')}\t${facetValues.join('\t')}\t${sortValues.join('\t')}\n`,
      );
    }
  }

  /**
   * Compacts first, so the state is the main segment and the forward lists alone. The
   * export is a copy, kept and given again until a document is written or removed:
   * exporting 100,000 items' index held the event loop for 80 - 170 ms, while most
   * snapshots follow only interactions and impressions, which do not touch it.
   */
  snapshot(): ProjectionState {
    if (this.exported?.state !== this.state) this.exported = undefined;
    this.exported ??= { state: this.state, snapshot: this.exportState() };
    return this.exported.snapshot;
  }

  private exportState(): ProjectionState {
    const exported = this.state.index.exportState();
    const facets = this.state.facets.exportState();
    const json: SearchSnapshotJson = {
      version: SNAPSHOT_VERSION,
      fingerprint: indexFingerprint(this.config),
      // The terms, field names and facet values are the index's own growing arrays.
      index: detachJson(exported.json) as InvertedIndexJson,
      facets: detachJson(facets.json) as SearchSnapshotJson['facets'],
    };
    return {
      json,
      arrays: {
        ...exported.arrays,
        ...facets.arrays,
        ...this.state.sortables.exportState(),
        hidden: this.state.visibility.hidden.slice(),
      },
      detached: true,
    };
  }

  /**
   * Takes the state back from a snapshot; one made with another analyzer or other
   * indexed fields is ignored and the index rebuilt from the (already restored) catalog.
   */
  restore(state: ProjectionState): void {
    const json = state.json as SearchSnapshotJson | null;
    if (json?.version !== SNAPSHOT_VERSION || json.fingerprint !== indexFingerprint(this.config)) {
      this.rebuildFromItems();
      return;
    }
    const index = InvertedIndex.importState(
      this.config.analyzer,
      this.config.weights,
      json.index,
      state.arrays,
    );
    this.state = this.freshState(index);
    // What it was restored from is what it would export: kept (copied: decoded arrays
    // are views of the whole snapshot's bytes) for the next snapshot.
    this.exported = { state: this.state, snapshot: detachState(state) };
    this.state.facets.importState(json.facets, state.arrays);
    this.state.sortables.importState(state.arrays);
    const hidden = state.arrays.hidden;
    if (hidden instanceof Uint8Array) this.state.visibility.hidden = hidden.slice();
    this.titleBuckets = new TitleBuckets();
    this.titleBuckets.rebuild(index);
    this.titleCounts = new TitleTermCounts();
    for (let doc = 0; doc < index.capacity; doc++)
      if (index.isIndexed(doc) && !this.state.visibility.isHidden(doc))
        this.titleCounts.adjust(index, doc, 1);
  }

  /**
   * Indexes every catalog item with searchable text. Items the catalog only knows as
   * placeholders (named by an interaction, never upserted) have none and stay out.
   */
  private rebuildFromItems(): void {
    this.state = this.freshState(InvertedIndex.create(this.config.analyzer, this.config.weights));
    this.titleCounts = new TitleTermCounts();
    this.titleBuckets = new TitleBuckets();
    for (let doc = 0; doc < this.items.capacity; doc++) {
      const item = this.items.at(doc);
      if (
        item &&
        (item.title !== '' || item.categories.length > 0 || Object.keys(item.text).length > 0)
      )
        this.upsert(doc, item);
    }
    this.state.index.compact();
  }

  private freshState(index: InvertedIndex): SearchState {
    const terms = new TermMatchMap();
    return {
      index,
      facets: new FacetStore(this.config.facetAttributes),
      sortables: new SortableStore(this.config.sortableAttributes),
      visibility: new Visibility(),
      items: this.items,
      analyzer: this.config.analyzer,
      synonyms: this.synonyms,
      params: { k1: this.config.k1, b: this.config.b },
      scratch: new QueryScratch(),
      norms: new LengthNorms(),
      terms,
      reranker: new Reranker(index, terms),
    };
  }
}
