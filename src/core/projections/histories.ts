import type { Hash } from 'node:crypto';
import type { InteractionTypes } from '../domain/interaction.js';
import type { Catalog } from './catalog.js';
import type { UserDirectory } from './user-directory.js';
import { grow } from './growable.js';
import type { Projection, ProjectionState, ResolvedInteraction } from './projection.js';

export interface HistoryEntry {
  readonly item: number;
  readonly type: number;
  /** NaN when the interaction had no value. */
  readonly value: number;
  /** Unix seconds. */
  readonly time: number;
}

const NONE = -1;

/**
 * Every interaction, columnar, in log order: ~25 bytes each, so tens of millions fit.
 * Each user's interactions form a chain through `previous`, newest first, which is the
 * order serving wants ("the last n things this user did").
 */
export class InteractionHistories implements Projection {
  readonly name = 'histories';
  private length = 0;
  private users = new Int32Array(1024);
  private items = new Int32Array(1024);
  private types = new Uint8Array(1024);
  private values = new Float64Array(1024);
  private times = new Uint32Array(1024);
  private previous = new Int32Array(1024);
  private heads = new Int32Array(1024).fill(NONE);
  private counts = new Uint32Array(1024);
  private liveCount = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly userDirectory: UserDirectory,
    private readonly types_: InteractionTypes,
  ) {
    userDirectory.onErase((index) => this.erase(index));
  }

  /** Interactions held (erased ones excluded). */
  get size(): number {
    return this.liveCount;
  }

  /** Number of slots written, including erased ones: the bound for `columns()`. */
  get written(): number {
    return this.length;
  }

  countFor(userIndex: number): number {
    return this.counts[userIndex] ?? 0;
  }

  /** The user's interactions, newest first, at most `limit`. */
  recent(userIndex: number, limit = Infinity): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    let at = this.heads[userIndex] ?? NONE;
    while (at !== NONE && out.length < limit) {
      out.push({
        item: this.items[at] ?? NONE,
        type: this.types[at] ?? 0,
        value: this.values[at] ?? Number.NaN,
        time: this.times[at] ?? 0,
      });
      at = this.previous[at] ?? NONE;
    }
    return out;
  }

  /**
   * The user's interactions, newest first, written into the given buffers (at most their
   * length); returns how many. Allocation-free, for serving.
   */
  readRecent(
    userIndex: number,
    items: Int32Array,
    types: Uint8Array,
    values: Float64Array,
  ): number {
    let at = this.heads[userIndex] ?? NONE;
    let written = 0;
    const limit = Math.min(items.length, types.length, values.length);
    while (at !== NONE && written < limit) {
      items[written] = this.items[at] ?? NONE;
      types[written] = this.types[at] ?? 0;
      values[written] = this.values[at] ?? Number.NaN;
      written++;
      at = this.previous[at] ?? NONE;
    }
    return written;
  }

  /** Columnar views over all interactions in log order; erased rows have user = -1. */
  columns(): {
    users: Int32Array;
    items: Int32Array;
    types: Uint8Array;
    values: Float64Array;
    times: Uint32Array;
  } {
    const n = this.length;
    return {
      users: this.users.subarray(0, n),
      items: this.items.subarray(0, n),
      types: this.types.subarray(0, n),
      values: this.values.subarray(0, n),
      times: this.times.subarray(0, n),
    };
  }

  /** Only interactions change histories, and they arrive through `applyInteraction`. */
  apply(): void {}

  applyInteraction({ user, item, type, value, time }: ResolvedInteraction): void {
    const at = this.length++;
    if (at >= this.users.length) {
      const needed = at + 1;
      this.users = grow(this.users, needed, Int32Array);
      this.items = grow(this.items, needed, Int32Array);
      this.types = grow(this.types, needed, Uint8Array);
      this.values = grow(this.values, needed, Float64Array);
      this.times = grow(this.times, needed, Uint32Array);
      this.previous = grow(this.previous, needed, Int32Array);
    }
    if (user >= this.heads.length) {
      this.heads = grow(this.heads, user + 1, Int32Array, NONE);
      this.counts = grow(this.counts, user + 1, Uint32Array);
    }
    this.users[at] = user;
    this.items[at] = item;
    this.types[at] = type;
    this.values[at] = value;
    this.times[at] = time;
    this.previous[at] = this.heads[user] ?? NONE;
    this.heads[user] = at;
    this.counts[user] = (this.counts[user] ?? 0) + 1;
    this.liveCount++;
  }

  /** Right to be forgotten: overwrite every trace of the user's interactions. */
  private erase(user: number): void {
    let at = this.heads[user] ?? NONE;
    while (at !== NONE) {
      const next = this.previous[at] ?? NONE;
      this.users[at] = NONE;
      this.items[at] = NONE;
      this.types[at] = 0;
      this.values[at] = Number.NaN;
      this.times[at] = 0;
      this.previous[at] = NONE;
      at = next;
    }
    if (user < this.heads.length) {
      this.liveCount -= this.counts[user] ?? 0;
      this.heads[user] = NONE;
      this.counts[user] = 0;
    }
  }

  checksum(hash: Hash): void {
    const n = this.length;
    hash.update(`histories:${n}\n`);
    for (const array of [
      this.users,
      this.items,
      this.types,
      this.values,
      this.times,
      this.previous,
    ]) {
      hash.update(new Uint8Array(array.buffer, array.byteOffset, n * array.BYTES_PER_ELEMENT));
    }
  }

  snapshot(): ProjectionState {
    const n = this.length;
    return {
      json: { length: n, userSlots: this.heads.length },
      arrays: {
        users: this.users.subarray(0, n),
        items: this.items.subarray(0, n),
        types: this.types.subarray(0, n),
        values: this.values.subarray(0, n),
        times: this.times.subarray(0, n),
        previous: this.previous.subarray(0, n),
        heads: this.heads,
        counts: this.counts,
      },
    };
  }

  restore(state: ProjectionState): void {
    const { length } = state.json as { length: number };
    const a = state.arrays;
    this.length = length;
    this.users = Int32Array.from(a['users'] as Int32Array);
    this.items = Int32Array.from(a['items'] as Int32Array);
    this.types = Uint8Array.from(a['types'] as Uint8Array);
    this.values = Float64Array.from(a['values'] as Float64Array);
    this.times = Uint32Array.from(a['times'] as Uint32Array);
    this.previous = Int32Array.from(a['previous'] as Int32Array);
    this.heads = Int32Array.from(a['heads'] as Int32Array);
    this.counts = Uint32Array.from(a['counts'] as Uint32Array);
    this.liveCount = this.counts.reduce((sum, n) => sum + n, 0);
  }
}
