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
  /** The log's use count when it was last added or paged (its recency). */
  lastUse = -1;

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
 * Recently served lists by recommendation id, with a time to live, so a follow-up request
 * can page on without repeats and later events can be attributed. A list is kept while it
 * was added or paged within the last `capacity` uses (so at most `capacity` lists).
 *
 * Recency is kept in a ring of the last `capacity` uses rather than in the Map's own
 * order: evicting through `Map.keys().next()` walks over the holes earlier deletions left
 * at the front of the table, which cost several microseconds per served list at full load.
 */
export class RecommendationLog {
  private readonly lists = new Map<string, ServedList>();
  private readonly uses: (ServedList | undefined)[];
  /** Uses so far; the newest use of a list is its `lastUse`. */
  private useCount = 0;

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.uses = new Array<ServedList | undefined>(capacity).fill(undefined);
  }

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
    this.use(list);
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
    this.use(entry);
    return entry;
  }

  /** Records a use; forgets the list whose last use falls out of the ring. */
  private use(list: ServedList): void {
    const slot = this.useCount % this.capacity;
    const evicted = this.uses[slot];
    // A list used again since holds a newer slot: only its last use evicts it.
    if (
      evicted !== undefined &&
      evicted !== list &&
      evicted.lastUse === this.useCount - this.capacity
    )
      this.lists.delete(evicted.id);
    this.uses[slot] = list;
    list.lastUse = this.useCount++;
  }
}
