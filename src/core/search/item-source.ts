import type { Item } from '../domain/item.js';

/** Where the search index reads items by dense index: the `Catalog` read model. */
export interface ItemSource {
  readonly ids: { indexOf(id: string): number | undefined };
  at(index: number): Item | undefined;
  /** One more than the largest index in use. */
  readonly capacity: number;
}
