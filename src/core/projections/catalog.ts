import type { Hash } from 'node:crypto';
import type { StoredEvent } from '../events/envelope.js';
import {
  EventTypes,
  type ItemDeletedPayload,
  type ItemPatchedPayload,
  type ItemUpsertedPayload,
} from '../events/event-types.js';
import { applyItemPatch, itemFromInput, placeholderItem, type Item } from '../domain/item.js';
import { IdMap } from './id-map.js';
import type { Projection, ProjectionState } from './projection.js';

/** The catalog read model: items by dense index, tombstones for deleted ones. */
export class Catalog implements Projection {
  readonly name = 'catalog';
  ids = new IdMap();
  private items: (Item | undefined)[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  get(id: string): Item | undefined {
    const index = this.ids.indexOf(id);
    return index === undefined ? undefined : this.items[index];
  }

  at(index: number): Item | undefined {
    return this.items[index];
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Items in index order after `afterIndex` (cursor pagination is by index). */
  page(afterIndex: number, limit: number): { items: Item[]; lastIndex: number } {
    const items: Item[] = [];
    let index = afterIndex + 1;
    for (; index < this.items.length && items.length < limit; index++) {
      const item = this.items[index];
      if (item) items.push(item);
    }
    return { items, lastIndex: index - 1 };
  }

  get capacity(): number {
    return this.items.length;
  }

  apply(event: StoredEvent): void {
    switch (event.type) {
      case EventTypes.itemUpserted.type: {
        const { item } = event.payload as ItemUpsertedPayload;
        const index = this.ids.intern(item.id);
        const previous = this.items[index];
        this.put(
          index,
          itemFromInput(item, previous?.createdAt ?? event.occurredAt, event.occurredAt),
        );
        break;
      }
      case EventTypes.itemPatched.type: {
        const { id, patch } = event.payload as ItemPatchedPayload;
        const index = this.ids.indexOf(id);
        const current = index === undefined ? undefined : this.items[index];
        if (index !== undefined && current)
          this.put(index, applyItemPatch(current, patch, event.occurredAt));
        break;
      }
      case EventTypes.itemDeleted.type: {
        const index = this.ids.indexOf((event.payload as ItemDeletedPayload).id);
        if (index !== undefined && this.items[index]) {
          this.items[index] = undefined;
          this.live--;
        }
        break;
      }
    }
  }

  /**
   * The index of an item an interaction names. An item never seen gets a placeholder;
   * a deleted one counts for the aggregates but is not brought back.
   */
  resolveForInteraction(itemId: string, at: number): number {
    const known = this.ids.indexOf(itemId);
    if (known !== undefined) return known;
    const index = this.ids.intern(itemId);
    this.put(index, placeholderItem(itemId, at));
    return index;
  }

  private put(index: number, item: Item): void {
    if (!this.items[index]) this.live++;
    this.items[index] = item;
  }

  checksum(hash: Hash): void {
    hash.update(`catalog:${this.items.length}:${this.live}\n`);
    for (let index = 0; index < this.items.length; index++) {
      hash.update(
        `${index}\t${this.ids.idOf(index)}\t${JSON.stringify(this.items[index] ?? null)}\n`,
      );
    }
  }

  snapshot(): ProjectionState {
    return {
      json: { ids: this.ids.toJSON(), items: this.items.map((i) => i ?? null) },
      arrays: {},
    };
  }

  restore(state: ProjectionState): void {
    const json = state.json as { ids: (string | null)[]; items: (Item | null)[] };
    this.ids = IdMap.fromJSON(json.ids);
    this.items = json.items.map((item) => item ?? undefined);
    this.live = this.items.reduce((n, item) => (item ? n + 1 : n), 0);
  }
}
