import { randomBytes } from 'node:crypto';
import { IdMap } from '../../core/projections/id-map.js';

/** Served items kept in a list's own slot; a list paged further keeps the rest aside. */
const INLINE_ITEMS = 16;
const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const NONE = -1;

/**
 * What the engine remembers of one served list, read back for paging and attribution
 * (a view made on demand: the log itself holds typed arrays, not objects).
 */
export class ServedList {
  constructor(
    private readonly log: RecommendationLog,
    readonly slot: number,
    readonly id: string,
    readonly scenario: string,
    /** Who it was for (`user:alice`, `item:heat`, `session`...): a next page must be for the same. */
    readonly subject: string,
  ) {}

  /** Items served so far, over every page. */
  get size(): number {
    return this.log.sizeOf(this.slot);
  }

  /** Item indexes served so far, over every page, in order. */
  served(): number[] {
    return this.log.servedOf(this.slot);
  }

  /** The training row of a served item (-1: not served, or no row). */
  rowOf(item: number): number {
    return this.log.rowOf(this.slot, item);
  }
}

/**
 * Recently served lists, for paging on without repeats and for attributing later events.
 * A list lives in slot `n % capacity` of typed columns, where n is its number in this
 * process; its id is the process's random prefix and n, so finding it needs no map, and a
 * list is forgotten when the `capacity`-th list after it takes its slot, or after
 * `ttlMs` without a page. Kept as columns, not objects: a busy engine serves thousands of
 * lists a second, and objects living that long were most of what every young-generation
 * collection had to copy.
 */
export class RecommendationLog {
  private readonly prefix = randomPrefix();
  private readonly numbers: Float64Array;
  private readonly expiresAt: Float64Array;
  private readonly counts: Uint32Array;
  private readonly items: Int32Array;
  private readonly rows: Int32Array;
  private readonly scenarios: Uint32Array;
  private readonly subjects: (string | undefined)[];
  /** Items and rows past INLINE_ITEMS, by slot (lists paged on, or a large k). */
  private readonly overflow = new Map<number, { items: number[]; rows: number[] }>();
  /** Scenario names as small indexes, so a slot holds a number. */
  private readonly scenarioNames = new IdMap();
  private next = 0;

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.numbers = new Float64Array(capacity).fill(NONE);
    this.expiresAt = new Float64Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.items = new Int32Array(capacity * INLINE_ITEMS);
    this.rows = new Int32Array(capacity * INLINE_ITEMS);
    this.scenarios = new Uint32Array(capacity);
    this.subjects = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** Starts a list; returns its slot (`idOf` gives its id). */
  add(scenario: string, subject: string): number {
    const number = this.next++;
    const slot = number % this.capacity;
    this.numbers[slot] = number;
    this.expiresAt[slot] = this.clock() + this.ttlMs;
    this.counts[slot] = 0;
    this.scenarios[slot] = this.scenarioNames.intern(scenario);
    this.subjects[slot] = subject;
    this.overflow.delete(slot);
    return slot;
  }

  idOf(slot: number): string {
    return this.prefix + (this.numbers[slot] as number).toString(32);
  }

  /** Records one served item of the list in `slot` and its training row (-1: none). */
  append(slot: number, item: number, row: number): void {
    const count = this.counts[slot] as number;
    if (count < INLINE_ITEMS) {
      this.items[slot * INLINE_ITEMS + count] = item;
      this.rows[slot * INLINE_ITEMS + count] = row;
    } else {
      let rest = this.overflow.get(slot);
      if (rest === undefined) {
        rest = { items: [], rows: [] };
        this.overflow.set(slot, rest);
      }
      rest.items.push(item);
      rest.rows.push(row);
    }
    this.counts[slot] = count + 1;
  }

  /** The list, when still remembered; refreshes its time to live. */
  get(id: string): ServedList | undefined {
    const slot = this.slotOf(id);
    if (slot === NONE) return undefined;
    this.expiresAt[slot] = this.clock() + this.ttlMs;
    return this.view(slot, id);
  }

  /** Looks a list up without refreshing it (attribution of events). */
  peek(id: string): ServedList | undefined {
    const slot = this.slotOf(id);
    return slot === NONE ? undefined : this.view(slot, id);
  }

  sizeOf(slot: number): number {
    return this.counts[slot] as number;
  }

  servedOf(slot: number): number[] {
    const count = this.counts[slot] as number;
    const served: number[] = [];
    for (let at = 0; at < Math.min(count, INLINE_ITEMS); at++)
      served.push(this.items[slot * INLINE_ITEMS + at] as number);
    const rest = this.overflow.get(slot);
    if (rest !== undefined) served.push(...rest.items);
    return served;
  }

  rowOf(slot: number, item: number): number {
    const count = Math.min(this.counts[slot] as number, INLINE_ITEMS);
    for (let at = 0; at < count; at++)
      if (this.items[slot * INLINE_ITEMS + at] === item)
        return this.rows[slot * INLINE_ITEMS + at] as number;
    const rest = this.overflow.get(slot);
    const at = rest === undefined ? -1 : rest.items.indexOf(item);
    return at < 0 ? -1 : (rest!.rows[at] as number);
  }

  /** The slot of a remembered, unexpired list with this id, or NONE. */
  private slotOf(id: string): number {
    if (id.length <= this.prefix.length || !id.startsWith(this.prefix)) return NONE;
    const digits = id.slice(this.prefix.length);
    const number = Number.parseInt(digits, 32);
    if (!Number.isSafeInteger(number) || number.toString(32) !== digits) return NONE;
    const slot = number % this.capacity;
    if (this.numbers[slot] !== number || (this.expiresAt[slot] as number) <= this.clock())
      return NONE;
    return slot;
  }

  private view(slot: number, id: string): ServedList {
    return new ServedList(
      this,
      slot,
      id,
      this.scenarioNames.idOf(this.scenarios[slot] as number) as string,
      this.subjects[slot] as string,
    );
  }
}

/** Ids of another process (or an earlier run) never match this one's lists. */
function randomPrefix(): string {
  let prefix = '';
  for (const byte of randomBytes(8)) prefix += ID_ALPHABET[byte & 31];
  return prefix + '-';
}
