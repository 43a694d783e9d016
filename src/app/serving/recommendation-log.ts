/**
 * What the engine remembers of one recommendation list it served. Thousands are held
 * (paging, attribution) and each lives for seconds at least: kept small, as plain arrays.
 */
export class ServedList {
  /** Item indexes served so far, over every page, in order. */
  readonly served: number[] = [];
  /** The ranker training row of each served item, in the same order (-1: none, e.g. pinned). */
  readonly rows: number[] = [];
  /** Attributed interactions, by type (made on the first). */
  attributed: Record<string, number> | undefined;
  expiresAt = 0;

  constructor(
    readonly id: string,
    readonly scenario: string,
    /** Who it was for (`user:alice`, `item:heat`, `session`...): a next page must be for the same. */
    readonly subject: string,
  ) {}

  /** The training row of a served item (-1: not served, or no row). */
  rowOf(item: number): number {
    const at = this.served.indexOf(item);
    return at < 0 ? -1 : this.rows[at]!;
  }

  attribute(type: string): void {
    this.attributed ??= {};
    this.attributed[type] = (this.attributed[type] ?? 0) + 1;
  }
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

  add(id: string, scenario: string, subject: string): ServedList {
    const entry = new ServedList(id, scenario, subject);
    entry.expiresAt = this.clock() + this.ttlMs;
    this.lists.set(id, entry);
    while (this.lists.size > this.capacity) {
      const oldest = this.lists.keys().next();
      if (oldest.done) break;
      this.lists.delete(oldest.value);
    }
    return entry;
  }
}
