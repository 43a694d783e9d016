import { grow } from '../projections/growable.js';
import type { Ranked } from '../models/top-k.js';

export interface CategoryListOptions {
  /** Items kept per list. */
  readonly depth: number;
  /** Lists kept at most (the oldest are dropped first). */
  readonly capacity: number;
}

/** A list stored for a user the model cannot personalize in that category. */
export const NO_LIST: Ranked = { indices: new Int32Array(0), scores: new Float32Array(0) };

/**
 * Users' ranked lists within one category each (the collaborative search narrowed to a
 * category's items), kept in typed columns: a list is a slot of `depth` entries, found
 * through a map from (user, category) to its slot and reused first in, first out once
 * `capacity` lists are kept. A user's lists go stale together when their history changes
 * (a generation per user, so invalidating is one increment, not a search for their slots).
 */
export class CategoryLists {
  private readonly depth: number;
  private readonly capacity: number;
  private readonly columns = new Map<string, number>();
  private readonly slotOf = new Map<number, number>();
  private keys = new Float64Array(0);
  private generations = new Uint32Array(0);
  private lengths = new Int16Array(0);
  private indices = new Int32Array(0);
  private scores = new Float32Array(0);
  /** Per user: bumped when their history changes, so their kept lists no longer match. */
  private userGenerations = new Uint32Array(0);
  private used = 0;
  private cursor = 0;

  constructor(options: CategoryListOptions) {
    this.depth = Math.max(1, Math.min(options.depth, 32_767));
    this.capacity = Math.max(1, options.capacity);
  }

  get size(): number {
    return this.slotOf.size;
  }

  get listDepth(): number {
    return this.depth;
  }

  /** The kept list (NO_LIST when the model had none), or undefined when not kept or stale. */
  get(user: number, category: string): Ranked | undefined {
    const slot = this.currentSlot(user, category);
    if (slot === undefined) return undefined;
    const length = this.lengths[slot]!;
    if (length < 0) return NO_LIST;
    const start = slot * this.depth;
    return {
      indices: this.indices.subarray(start, start + length),
      scores: this.scores.subarray(start, start + length),
    };
  }

  has(user: number, category: string): boolean {
    return this.currentSlot(user, category) !== undefined;
  }

  /** The slot of the user's list in that category, unless not kept or stale. */
  private currentSlot(user: number, category: string): number | undefined {
    const column = this.columns.get(category);
    if (column === undefined) return undefined;
    const slot = this.slotOf.get(key(user, column));
    if (slot === undefined || this.generations[slot] !== this.generationOf(user)) return undefined;
    return slot;
  }

  /** Keeps `list` (its first `depth` entries; undefined: the model had nothing). */
  put(user: number, category: string, list: Ranked | undefined): void {
    let column = this.columns.get(category);
    if (column === undefined) {
      if (this.columns.size >= MAX_COLUMNS) return;
      column = this.columns.size;
      this.columns.set(category, column);
    }
    const listKey = key(user, column);
    let slot = this.slotOf.get(listKey);
    if (slot === undefined) {
      slot = this.takeSlot();
      this.slotOf.set(listKey, slot);
      this.keys[slot] = listKey;
    }
    this.generations[slot] = this.generationOf(user);
    if (list === undefined || list === NO_LIST) {
      this.lengths[slot] = -1;
      return;
    }
    const length = Math.min(this.depth, list.indices.length);
    const start = slot * this.depth;
    this.indices.set(list.indices.subarray(0, length), start);
    this.scores.set(list.scores.subarray(0, length), start);
    this.lengths[slot] = length;
  }

  /** The user's history changed: none of their kept lists is served again. */
  invalidate(user: number): void {
    if (user < this.userGenerations.length) this.userGenerations[user]!++;
  }

  clear(): void {
    this.slotOf.clear();
    this.columns.clear();
    this.used = 0;
    this.cursor = 0;
  }

  private generationOf(user: number): number {
    if (user >= this.userGenerations.length)
      this.userGenerations = grow(this.userGenerations, user + 1, Uint32Array);
    return this.userGenerations[user]!;
  }

  /** A free slot while the store grows, then the oldest one (its list forgotten). */
  private takeSlot(): number {
    if (this.used < this.capacity) {
      const slot = this.used++;
      if (slot >= this.keys.length) {
        // Exactly up to the capacity: the columns are most of the store's memory.
        const slots = Math.min(this.capacity, Math.max(1024, slot * 2));
        this.keys = resized(this.keys, slots, Float64Array);
        this.generations = resized(this.generations, slots, Uint32Array);
        this.lengths = resized(this.lengths, slots, Int16Array);
        this.indices = resized(this.indices, slots * this.depth, Int32Array);
        this.scores = resized(this.scores, slots * this.depth, Float32Array);
      }
      return slot;
    }
    const slot = this.cursor;
    this.cursor = (this.cursor + 1) % this.capacity;
    this.slotOf.delete(this.keys[slot]!);
    return slot;
  }
}

/** Categories with kept lists; a key is user × MAX_COLUMNS + column, exact in a double. */
const MAX_COLUMNS = 4096;

function key(user: number, column: number): number {
  return user * MAX_COLUMNS + column;
}

type Column = Float64Array | Uint32Array | Int16Array | Int32Array | Float32Array;

function resized<T extends Column>(array: T, length: number, make: new (length: number) => T): T {
  if (length <= array.length) return array;
  const bigger = new make(length);
  bigger.set(array);
  return bigger;
}
