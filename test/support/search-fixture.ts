import type { ItemInput, ItemPatch } from '../../src/core/domain/item.js';
import type { StoredEvent } from '../../src/core/events/envelope.js';
import { EventTypes } from '../../src/core/events/event-types.js';
import { Catalog } from '../../src/core/projections/catalog.js';
import type { SearchConfig } from '../../src/core/search/config.js';
import { SearchIndex } from '../../src/core/search/search-index.js';

/** A catalog and a search index fed the same events, as the engine feeds them (tests). */
export class SearchFixture {
  readonly catalog = new Catalog();
  readonly search: SearchIndex;
  readonly events: StoredEvent[] = [];

  constructor(config: SearchConfig = {}, items: readonly ItemInput[] = []) {
    this.search = new SearchIndex(this.catalog, config);
    for (const item of items) this.upsert(item);
  }

  upsert(item: ItemInput): number {
    this.emit(EventTypes.itemUpserted, item.id, { item });
    return this.doc(item.id);
  }

  patch(id: string, patch: ItemPatch): void {
    this.emit(EventTypes.itemPatched, id, { id, patch });
  }

  delete(id: string): void {
    this.emit(EventTypes.itemDeleted, id, { id });
  }

  doc(id: string): number {
    const doc = this.catalog.ids.indexOf(id);
    if (doc === undefined) throw new Error(`no item ${id}`);
    return doc;
  }

  /** Item ids of a search's hits, in order. */
  ids(query: string, options: Parameters<SearchIndex['search']>[1] = {}): string[] {
    return this.search
      .search(query, options)
      .hits.map((hit) => this.catalog.ids.idOf(hit.doc) ?? '?');
  }

  private emit(kind: { type: string; version: number }, key: string, payload: unknown): void {
    const offset = this.events.length + 1;
    const event: StoredEvent = {
      offset,
      id: `e${offset}`,
      type: kind.type,
      version: kind.version,
      occurredAt: 1_700_000_000_000 + offset,
      receivedAt: 1_700_000_000_000 + offset,
      partitionKey: key,
      payload,
      metadata: {},
    };
    this.events.push(event);
    this.catalog.apply(event);
    this.search.apply(event);
  }
}
