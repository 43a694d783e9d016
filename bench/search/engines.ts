import type { StoredEvent } from '../../src/core/events/envelope.js';
import { EventTypes } from '../../src/core/events/event-types.js';
import { Catalog } from '../../src/core/projections/catalog.js';
import { SearchIndex } from '../../src/core/search/index.js';
import { acceptsFilter, type BenchDataset, type BenchDocument } from './documents.js';
import { typoAllowance } from './queries.js';

/** Top-10 document ids, best first (some engines answer asynchronously). */
export type Ranked = readonly number[] | Promise<readonly number[]>;

export interface BenchEngine {
  readonly name: string;
  /** Which options the engine runs with, for the report. */
  readonly setup: string;
  build(dataset: BenchDataset): Promise<void>;
  /** A full-text query: last word as a prefix, typo tolerance scaled by word length. */
  search(query: string): Ranked;
  /** The same with the dataset's filter and facet counts over all matches. */
  searchFiltered(query: string): Ranked;
}

const FIELD_BOOSTS = { title: 3, categories: 1.5 } as const;

/** Kindred: a Catalog and a SearchIndex fed item.upserted events, as the engine runs them. */
export class KindredEngine implements BenchEngine {
  readonly name = 'Kindred';
  readonly setup =
    'defaults: title 3, categories 1.5, text 1; prefix last word; typos 0/1/2 by length';
  private index: SearchIndex | undefined;
  private filterColumn = new Float64Array(0);
  private dataset: BenchDataset | undefined;

  async build(dataset: BenchDataset): Promise<void> {
    const catalog = new Catalog();
    const index = new SearchIndex(catalog, {
      facetAttributes: ['brand'],
      sortableAttributes: ['price', 'year'],
    });
    dataset.documents.forEach((document, i) => {
      const event: StoredEvent = {
        offset: i + 1,
        id: `e${i}`,
        type: EventTypes.itemUpserted.type,
        version: EventTypes.itemUpserted.version,
        occurredAt: i,
        receivedAt: i,
        partitionKey: String(document.id),
        payload: { item: toItem(document, dataset) },
        metadata: {},
      };
      catalog.apply(event);
      index.apply(event);
    });
    index.compact();
    this.index = index;
    this.dataset = dataset;
    this.filterColumn = Float64Array.from(dataset.documents, (d) => d[dataset.filter.attribute]);
  }

  search(query: string): readonly number[] {
    return (this.index as SearchIndex).search(query, { limit: 10 }).hits.map((hit) => hit.doc);
  }

  searchFiltered(query: string): readonly number[] {
    const { filter, facets } = this.dataset as BenchDataset;
    const column = this.filterColumn;
    // What the rule language compiles to: a predicate over dense ids reading a column.
    const accept =
      filter.below !== undefined
        ? (doc: number) => column[doc]! < (filter.below as number)
        : (doc: number) => column[doc]! >= (filter.atLeast as number);
    return (this.index as SearchIndex)
      .search(query, { limit: 10, filter: accept, facets })
      .hits.map((hit) => hit.doc);
  }

  suggest(input: string): number {
    const { queries, items } = (this.index as SearchIndex).suggest(input);
    return queries.length + items.length;
  }
}

function toItem(document: BenchDocument, dataset: BenchDataset): object {
  const text: Record<string, string> = {};
  for (const field of dataset.textFields) text[field] = document[field];
  return {
    id: `d${document.id}`,
    title: document.title,
    text,
    categories: document.categories,
    attributes: { price: document.price, year: document.year, brand: document.brand },
  };
}

/** The parts of MiniSearch's API the benchmark uses (the package is loaded at run time). */
interface MiniSearchResult {
  readonly id: number;
  readonly score: number;
}
type PerTerm<T> = (term: string, index: number, terms: readonly string[]) => T;
interface MiniSearchSearchOptions {
  readonly boost?: Record<string, number>;
  readonly prefix?: boolean | PerTerm<boolean>;
  readonly fuzzy?: boolean | number | PerTerm<boolean | number>;
  readonly combineWith?: 'OR' | 'AND';
  readonly filter?: (result: MiniSearchResult) => boolean;
}
interface MiniSearchInstance {
  addAll(documents: readonly BenchDocument[]): void;
  search(query: string, options?: MiniSearchSearchOptions): MiniSearchResult[];
}
type MiniSearchConstructor = new (options: {
  fields: string[];
  idField?: string;
  extractField?: (document: BenchDocument, field: string) => string;
  searchOptions?: MiniSearchSearchOptions;
}) => MiniSearchInstance;

async function importPackage(name: string): Promise<unknown> {
  // A variable specifier keeps TypeScript from resolving the (optional) package.
  const specifier: string = name;
  return import(specifier);
}

export class MiniSearchEngine implements BenchEngine {
  readonly name = 'MiniSearch';
  readonly setup: string;
  private index: MiniSearchInstance | undefined;
  private dataset: BenchDataset | undefined;

  constructor(private readonly combineWith: 'OR' | 'AND') {
    this.setup = `boost title 3, categories 1.5; prefix last word; fuzzy 0/1/2 by length; combineWith ${combineWith}`;
  }

  async build(dataset: BenchDataset): Promise<void> {
    const { default: MiniSearch } = (await importPackage('minisearch')) as {
      default: MiniSearchConstructor;
    };
    const index = new MiniSearch({
      fields: ['title', 'categories', ...dataset.textFields],
      extractField: (document, field) =>
        field === 'categories'
          ? document.categories.join(' ')
          : String(document[field as keyof BenchDocument]),
      searchOptions: {
        boost: { ...FIELD_BOOSTS },
        prefix: (_term, i, terms) => i === terms.length - 1,
        fuzzy: (term) => typoAllowance(term.length),
        combineWith: this.combineWith,
      },
    });
    index.addAll(dataset.documents);
    this.index = index;
    this.dataset = dataset;
  }

  search(query: string): readonly number[] {
    return (this.index as MiniSearchInstance)
      .search(query)
      .slice(0, 10)
      .map((r) => r.id);
  }

  /** MiniSearch has no facets: they are counted over all filtered results. */
  searchFiltered(query: string): readonly number[] {
    const { documents, filter, facets } = this.dataset as BenchDataset;
    const results = (this.index as MiniSearchInstance).search(query, {
      filter: (result) => acceptsFilter(filter, documents[result.id] as BenchDocument),
    });
    const counts = new Map<string, number>();
    for (const result of results) {
      const document = documents[result.id] as BenchDocument;
      for (const facet of facets) {
        const values = facet === 'categories' ? document.categories : [document.brand];
        for (const value of values) {
          const key = `${facet}\u0000${value}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }
    return results.slice(0, 10).map((r) => r.id);
  }
}

/** The parts of Orama's API the benchmark uses. */
interface OramaResults {
  readonly count: number;
  readonly hits: readonly { readonly id: string; readonly score: number }[];
}
interface OramaModule {
  create(options: { schema: Record<string, string> }): unknown;
  insertMultiple(db: unknown, documents: readonly object[], batchSize?: number): unknown;
  search(db: unknown, params: Record<string, unknown>): OramaResults | Promise<OramaResults>;
}

export class OramaEngine implements BenchEngine {
  readonly name = 'Orama';
  readonly setup: string;
  private orama: OramaModule | undefined;
  private db: unknown;
  private dataset: BenchDataset | undefined;
  private properties: string[] = [];

  /** `threshold` 1 returns documents matching any word (Orama's default), 0 only those matching all. */
  constructor(private readonly threshold: 0 | 1) {
    this.setup =
      `boost title 3, categories 1.5; prefix matching (default); threshold ${threshold}; ` +
      'tolerance per query: the largest of 0/1/2 by word length (Orama has one tolerance for all words)';
  }

  async build(dataset: BenchDataset): Promise<void> {
    const orama = (await importPackage('@orama/orama')) as OramaModule;
    const schema: Record<string, string> = {
      title: 'string',
      categories: 'string[]',
      price: 'number',
      year: 'number',
    };
    for (const field of dataset.textFields) schema[field] = 'string';
    const db = orama.create({ schema });
    const documents = dataset.documents.map((d) => {
      const document: Record<string, unknown> = {
        id: String(d.id),
        title: d.title,
        categories: d.categories,
        price: d.price,
        year: d.year,
      };
      for (const field of dataset.textFields) document[field] = d[field];
      return document;
    });
    await orama.insertMultiple(db, documents, 1000);
    this.orama = orama;
    this.db = db;
    this.dataset = dataset;
    this.properties = ['title', 'categories', ...dataset.textFields];
  }

  search(query: string): Ranked {
    return this.run({ term: query });
  }

  searchFiltered(query: string): Ranked {
    const { filter, facets } = this.dataset as BenchDataset;
    const where =
      filter.below !== undefined
        ? { [filter.attribute]: { lt: filter.below } }
        : { [filter.attribute]: { gte: filter.atLeast } };
    const facetParams: Record<string, object> = {};
    for (const facet of facets) facetParams[facet] = { limit: 100 };
    return this.run({ term: query, where, facets: facetParams });
  }

  private run(params: Record<string, unknown>): Ranked {
    const result = (this.orama as OramaModule).search(this.db, {
      ...params,
      properties: this.properties,
      boost: { ...FIELD_BOOSTS },
      tolerance: Math.max(
        0,
        ...String(params.term)
          .split(/\s+/)
          .map((word) => typoAllowance(word.length)),
      ),
      threshold: this.threshold,
      limit: 10,
    });
    const ids = (r: OramaResults): number[] => r.hits.map((hit) => Number(hit.id));
    return result instanceof Promise ? result.then(ids) : ids(result);
  }
}
