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
 *
 * Following a chain touches one scattered row per step, a cache miss each: most of a
 * recommendation's history read. So the rows below `packedRows` are also kept per user,
 * contiguous and newest first (`pack`, 13 more bytes a row): a read follows the chain
 * through the rows added since, then copies the user's packed run, which is exactly the
 * rest of their chain.
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
  private packed: PackedRuns = EMPTY_RUNS;
  /** Users erased while a pack was being built (their runs in it are blanked at the end). */
  private erasedWhilePacking: number[] | undefined;
  /** Whether the last snapshot shares the row arrays (see `snapshot`). */
  private rowsShared = false;

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
    const packed = this.packed;
    while (at !== NONE && written < limit) {
      if (at < packed.rows) {
        const start = packed.offsets[userIndex]!;
        const end = Math.min(packed.offsets[userIndex + 1]!, start + limit - written);
        items.set(packed.items.subarray(start, end), written);
        types.set(packed.types.subarray(start, end), written);
        values.set(packed.values.subarray(start, end), written);
        return written + end - start;
      }
      items[written] = this.items[at] ?? NONE;
      types[written] = this.types[at] ?? 0;
      values[written] = this.values[at] ?? Number.NaN;
      written++;
      at = this.previous[at] ?? NONE;
    }
    return written;
  }

  /** Rows added since the last `pack` (read by following their chain). */
  get unpackedRows(): number {
    return this.length - this.packed.rows;
  }

  /**
   * Builds the per-user runs of every row written so far, yielding every few tens of
   * thousands of rows so a caller can spread it between requests; the runs replace the
   * previous ones at the end, in one step. Rows appended meanwhile stay on their chains.
   */
  *pack(): Generator<void, void, void> {
    const rows = this.length;
    const userCount = this.heads.length;
    const offsets = new Int32Array(userCount + 1);
    this.erasedWhilePacking = [];
    try {
      for (let at = 0; at < rows; at++) {
        const user = this.users[at]!;
        if (user >= 0) offsets[user + 1]!++;
        if (at % PACK_SLICE === PACK_SLICE - 1) yield;
      }
      for (let user = 0; user < userCount; user++) offsets[user + 1]! += offsets[user]!;
      const total = offsets[userCount]!;
      const items = new Int32Array(total);
      const types = new Uint8Array(total);
      const values = new Float64Array(total);
      const cursor = offsets.slice(0, userCount);
      yield;
      // Newest first: the rows from the last one down, each to its user's next place.
      for (let at = rows - 1; at >= 0; at--) {
        const user = this.users[at]!;
        if (user >= 0) {
          const to = cursor[user]!++;
          items[to] = this.items[at]!;
          types[to] = this.types[at]!;
          values[to] = this.values[at]!;
        }
        if (at % PACK_SLICE === 0) yield;
      }
      const runs: PackedRuns = { rows, offsets, items, types, values };
      for (const user of this.erasedWhilePacking) blankRun(runs, user);
      this.packed = runs;
    } finally {
      this.erasedWhilePacking = undefined;
    }
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
      // New arrays: a snapshot keeps reading the old ones, which nothing writes any more.
      this.rowsShared = false;
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
    if (this.rowsShared) this.unshareRows();
    blankRun(this.packed, user);
    this.erasedWhilePacking?.push(user);
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

  /**
   * Rows are only ever appended, so the snapshot shares them instead of copying 25 bytes
   * a row while every request waits (50 MB took 20 - 60 ms): `erase`, the one writer of
   * existing rows, copies them first while they are shared. The per-user heads and
   * counts change with every interaction and are copied.
   */
  snapshot(): ProjectionState {
    const n = this.length;
    this.rowsShared = true;
    return {
      json: { length: n, userSlots: this.heads.length },
      arrays: {
        users: this.users.subarray(0, n),
        items: this.items.subarray(0, n),
        types: this.types.subarray(0, n),
        values: this.values.subarray(0, n),
        times: this.times.subarray(0, n),
        previous: this.previous.subarray(0, n),
        heads: this.heads.slice(),
        counts: this.counts.slice(),
      },
      detached: true,
    };
  }

  private unshareRows(): void {
    this.users = this.users.slice();
    this.items = this.items.slice();
    this.types = this.types.slice();
    this.values = this.values.slice();
    this.times = this.times.slice();
    this.previous = this.previous.slice();
    this.rowsShared = false;
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
    this.rowsShared = false;
    this.heads = Int32Array.from(a['heads'] as Int32Array);
    this.counts = Uint32Array.from(a['counts'] as Uint32Array);
    this.liveCount = this.counts.reduce((sum, n) => sum + n, 0);
    this.packed = EMPTY_RUNS;
  }
}

/** Rows per step of `pack`. */
const PACK_SLICE = 65_536;

/** The rows below `rows`, user by user (`offsets`, users + 1), newest first within each. */
interface PackedRuns {
  readonly rows: number;
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  readonly types: Uint8Array;
  readonly values: Float64Array;
}

const EMPTY_RUNS: PackedRuns = {
  rows: 0,
  offsets: new Int32Array(1),
  items: new Int32Array(0),
  types: new Uint8Array(0),
  values: new Float64Array(0),
};

function blankRun(runs: PackedRuns, user: number): void {
  if (user + 1 >= runs.offsets.length) return;
  const start = runs.offsets[user]!;
  const end = runs.offsets[user + 1]!;
  runs.items.fill(NONE, start, end);
  runs.types.fill(0, start, end);
  runs.values.fill(Number.NaN, start, end);
}
