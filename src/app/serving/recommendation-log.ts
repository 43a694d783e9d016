/** What the engine remembers of one recommendation list it served. */
export interface ServedList {
  readonly id: string;
  readonly scenario: string;
  /** Who it was for (`user:alice`, `item:heat`, `session`...): a next page must be for the same. */
  readonly subject: string;
  /** Item indexes served so far, over every page, in order. */
  readonly served: number[];
  /** Ranker training row of each served item (absent for pinned items). */
  readonly rows: Map<number, number>;
  /** Attributed interactions, by type. */
  readonly attributed: Record<string, number>;
  expiresAt: number;
}

/**
 * Recently served lists by recommendation id: a bounded LRU with a time to live, so a
 * follow-up request can page on without repeats and later events can be attributed.
 */
export class RecommendationLog {
  private readonly lists = new Map<string, ServedList>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.lists.size;
  }

  /** The list, when still remembered; refreshes its time to live. */
  get(id: string): ServedList | undefined {
    const list = this.lists.get(id);
    if (list === undefined) return undefined;
    const now = this.clock();
    if (list.expiresAt <= now) {
      this.lists.delete(id);
      return undefined;
    }
    list.expiresAt = now + this.ttlMs;
    this.lists.delete(id);
    this.lists.set(id, list);
    return list;
  }

  /** Looks a list up without refreshing it (attribution of events). */
  peek(id: string): ServedList | undefined {
    const list = this.lists.get(id);
    return list !== undefined && list.expiresAt > this.clock() ? list : undefined;
  }

  add(list: Omit<ServedList, 'expiresAt' | 'attributed'>): ServedList {
    const entry: ServedList = { ...list, attributed: {}, expiresAt: this.clock() + this.ttlMs };
    this.lists.set(list.id, entry);
    while (this.lists.size > this.capacity) {
      const oldest = this.lists.keys().next();
      if (oldest.done) break;
      this.lists.delete(oldest.value);
    }
    return entry;
  }
}
