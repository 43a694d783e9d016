import type { AttributeValue, Item } from '../../domain/item.js';
import { PackedLists } from './packed-lists.js';

export interface FacetCount {
  readonly value: string;
  readonly count: number;
}

/** The facetable values of an item: categories, tags, or an attribute's values. */
type FacetSource = (item: Item) => readonly AttributeValue[] | AttributeValue | undefined;

/**
 * Per facet (categories, tags, configured attributes): a dictionary of values and, per
 * document, its value ids, so counting the facets of a whole result set is a pass over
 * integers.
 */
export class FacetStore {
  readonly names: readonly string[];
  private readonly sources: readonly FacetSource[];
  private readonly valueIds: Map<string, number>[];
  private readonly values: string[][];
  private lists: PackedLists[];
  private readonly scratch: number[] = [];

  constructor(attributes: readonly string[]) {
    this.names = [
      'categories',
      'tags',
      ...attributes.filter((a) => a !== 'categories' && a !== 'tags'),
    ];
    this.sources = this.names.map((name): FacetSource => {
      if (name === 'categories') return (item) => item.categories;
      if (name === 'tags') return (item) => item.tags;
      return (item) => item.attributes[name];
    });
    this.valueIds = this.names.map(() => new Map());
    this.values = this.names.map(() => []);
    this.lists = this.names.map(() => new PackedLists(0, 256));
  }

  facetOf(name: string): number | undefined {
    const at = this.names.indexOf(name);
    return at < 0 ? undefined : at;
  }

  update(doc: number, item: Item): void {
    this.sources.forEach((source, facet) => {
      const raw = source(item);
      const ids = this.scratch;
      ids.length = 0;
      for (const value of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
        const id = this.intern(facet, String(value));
        if (!ids.includes(id)) ids.push(id);
      }
      const lists = this.lists[facet] as PackedLists;
      if (!sameList(lists, doc, ids)) lists.set(doc, ids, ids.length);
    });
  }

  remove(doc: number): void {
    for (const lists of this.lists) lists.clear(doc);
    this.compactIfWasteful();
  }

  /** The value ids of `doc` for `facet`: `data[offset .. offset + length)`. */
  listsOf(facet: number): PackedLists {
    return this.lists[facet] as PackedLists;
  }

  valueCount(facet: number): number {
    return (this.values[facet] as string[]).length;
  }

  value(facet: number, id: number): string {
    return (this.values[facet] as string[])[id] as string;
  }

  /** Values of `doc` for the facet, for checksums and tests. */
  valuesOf(facet: number, doc: number): string[] {
    const lists = this.lists[facet] as PackedLists;
    const out: string[] = [];
    const from = lists.length(doc) > 0 ? lists.offset(doc) : 0;
    for (let k = 0; k < lists.length(doc); k++) out.push(this.value(facet, lists.data[from + k]!));
    return out;
  }

  /** Counts as `{ value, count }`, most frequent first, ties by value. */
  static rank(store: FacetStore, facet: number, counts: Int32Array, limit: number): FacetCount[] {
    const out: FacetCount[] = [];
    for (let id = 0; id < counts.length; id++) {
      const count = counts[id]!;
      if (count > 0) out.push({ value: store.value(facet, id), count });
    }
    out.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return out.length > limit ? out.slice(0, limit) : out;
  }

  private compactIfWasteful(): void {
    for (const lists of this.lists) if (lists.wasteful) lists.compact();
  }

  private intern(facet: number, value: string): number {
    const ids = this.valueIds[facet] as Map<string, number>;
    let id = ids.get(value);
    if (id === undefined) {
      id = ids.size;
      ids.set(value, id);
      (this.values[facet] as string[]).push(value);
    }
    return id;
  }

  exportState(): {
    json: Record<string, readonly string[]>;
    arrays: Record<string, ArrayBufferView>;
  } {
    const json: Record<string, readonly string[]> = {};
    let arrays: Record<string, ArrayBufferView> = {};
    this.names.forEach((name, facet) => {
      json[name] = this.values[facet] as string[];
      arrays = { ...arrays, ...(this.lists[facet] as PackedLists).export(`facet.${name}`) };
    });
    return { json, arrays };
  }

  importState(
    json: Readonly<Record<string, readonly string[]>>,
    arrays: Readonly<Record<string, ArrayBufferView>>,
  ): void {
    this.lists = this.names.map((name, facet) => {
      const values = json[name] ?? [];
      const ids = this.valueIds[facet] as Map<string, number>;
      ids.clear();
      (this.values[facet] as string[]).length = 0;
      for (const value of values) this.intern(facet, value);
      return PackedLists.import(arrays, `facet.${name}`);
    });
  }
}

function sameList(lists: PackedLists, doc: number, ids: readonly number[]): boolean {
  if (lists.length(doc) !== ids.length) return false;
  const from = lists.offset(doc);
  for (let k = 0; k < ids.length; k++) if (lists.data[from + k] !== ids[k]) return false;
  return true;
}
