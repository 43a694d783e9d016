import type { Item } from '../domain/item.js';

/** What serving reads of the catalog. */
export interface CatalogView {
  /** Item indexes are below this. */
  readonly capacity: number;
  at(index: number): Item | undefined;
}

/**
 * Categories as small integers: each item's category ids (CSR) and each category's
 * items, so affinities and per-category candidates are array walks, not string maps.
 * Rebuilt from the catalog when it changes (the caller decides how often).
 */
export class CategoryIndex {
  readonly ids = new Map<string, number>();
  readonly names: string[] = [];
  /** item -> [itemOffsets[item], itemOffsets[item + 1]) in itemCategories. */
  itemOffsets = new Int32Array(1);
  itemCategories = new Int32Array(0);
  /** category -> [categoryOffsets[c], categoryOffsets[c + 1]) in categoryItems. */
  categoryOffsets = new Int32Array(1);
  categoryItems = new Int32Array(0);
  itemCount = 0;

  static build(catalog: CatalogView): CategoryIndex {
    const index = new CategoryIndex();
    const items = catalog.capacity;
    const offsets = new Int32Array(items + 1);
    const flat: number[] = [];
    for (let item = 0; item < items; item++) {
      const entry = catalog.at(item);
      if (entry !== undefined) {
        for (const name of entry.categories) {
          let id = index.ids.get(name);
          if (id === undefined) {
            id = index.names.length;
            index.ids.set(name, id);
            index.names.push(name);
          }
          flat.push(id);
        }
      }
      offsets[item + 1] = flat.length;
    }
    index.itemOffsets = offsets;
    index.itemCategories = Int32Array.from(flat);
    index.itemCount = items;
    const counts = new Int32Array(index.names.length + 1);
    for (const id of flat) counts[id + 1]!++;
    for (let c = 0; c < index.names.length; c++) counts[c + 1]! += counts[c]!;
    const fill = counts.slice(0, index.names.length);
    const members = new Int32Array(flat.length);
    for (let item = 0; item < items; item++) {
      for (let at = offsets[item]!; at < offsets[item + 1]!; at++) {
        const id = index.itemCategories[at]!;
        members[fill[id]!++] = item;
      }
    }
    index.categoryOffsets = counts;
    index.categoryItems = members;
    return index;
  }

  get categoryCount(): number {
    return this.names.length;
  }

  /** Number of categories the two items share over the number either has (Jaccard). */
  overlap(a: number, b: number): number {
    if (a >= this.itemCount || b >= this.itemCount) return 0;
    const aStart = this.itemOffsets[a]!;
    const aEnd = this.itemOffsets[a + 1]!;
    const bStart = this.itemOffsets[b]!;
    const bEnd = this.itemOffsets[b + 1]!;
    if (aStart === aEnd || bStart === bEnd) return 0;
    let shared = 0;
    for (let i = aStart; i < aEnd; i++) {
      const category = this.itemCategories[i]!;
      for (let j = bStart; j < bEnd; j++) if (this.itemCategories[j] === category) shared++;
    }
    return shared / (aEnd - aStart + (bEnd - bStart) - shared);
  }
}
