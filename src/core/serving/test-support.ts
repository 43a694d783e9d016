import type { Item } from '../domain/item.js';
import type { HistoryReader } from '../recommend/recommender.js';

/**
 * Items 0 .. count-1 for pipeline tests: item i is in category `c${i % 3}`, costs i, and
 * is available below `available`.
 */
export function testCatalog(count: number, available: number, nowSeconds: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `i${i}`,
    title: `item ${i}`,
    text: {},
    categories: [`c${i % 3}`],
    tags: [],
    attributes: { price: i },
    available: i < available,
    hidden: false,
    createdAt: nowSeconds * 1000,
    updatedAt: nowSeconds * 1000,
  }));
}

/** A history of (item, interaction type) entries, newest first. */
export function historyReader(entries: readonly [item: number, type: number][]): HistoryReader {
  return {
    readRecent(_user, items, historyTypes, values) {
      const n = Math.min(entries.length, items.length);
      for (let i = 0; i < n; i++) {
        items[i] = entries[i]![0];
        historyTypes[i] = entries[i]![1];
        values[i] = Number.NaN;
      }
      return n;
    },
  };
}
