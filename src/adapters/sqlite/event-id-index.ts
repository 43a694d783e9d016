/**
 * The embedded log's index of event ids, in memory. A unique index on the ids in the
 * database would be written at random places (ids are content hashes), so every commit
 * would rewrite pages all over it and the cost per event would grow with the log. Here
 * the log stores each event's 64-bit fingerprint beside it, and this table of
 * fingerprints (rebuilt from them on first use) finds the candidates; a candidate is a
 * duplicate only once its stored id compares equal.
 */

/** The two 32-bit halves of an id's fingerprint, stable across processes and versions. */
export interface Fingerprint {
  high: number;
  low: number;
}

/** Bytes each event's fingerprint takes where the log stores it. */
export const FINGERPRINT_BYTES = 8;

/**
 * FNV-1a over UTF-16 code units, twice with different bases, each finished with
 * MurmurHash3's avalanche. Not cryptographic: an equal fingerprint is always checked
 * against the id itself.
 */
export function fingerprintOf(id: string, into: Fingerprint): Fingerprint {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995) ^ (b >>> 15);
  }
  into.high = avalanche(a) >>> 0;
  into.low = avalanche(b ^ a) >>> 0;
  return into;
}

function avalanche(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Offsets above this cannot be held (a slot keeps 32 bits of offset). */
export const MAX_INDEXED_OFFSET = 0xffff_ffff;
const INITIAL_SLOTS = 1 << 12;
const MAX_LOAD = 0.75;
/** Words a slot takes: the fingerprint's halves and the event's offset (0: empty). */
const WORDS = 3;

/**
 * Open addressing with linear probing; the high half picks the home slot. 12 bytes a
 * slot, 16 to 21 bytes an event.
 */
export class EventIdIndex {
  private slots = new Uint32Array(INITIAL_SLOTS * WORDS);
  private mask = INITIAL_SLOTS - 1;
  private size = 0;
  /** Slots filled since `commit()`, in order, so that `rollBack()` can empty them again. */
  private readonly tentative: number[] = [];

  get entries(): number {
    return this.size;
  }

  /** Makes room for `more` entries now, so that no growth happens in the middle of a batch. */
  reserve(more: number): void {
    const needed = this.size + more;
    if (needed <= (this.mask + 1) * MAX_LOAD) return;
    if (this.tentative.length > 0) throw new Error('the event id index cannot grow mid-batch');
    let capacity = this.mask + 1;
    while (needed > capacity * MAX_LOAD) capacity *= 2;
    const old = this.slots;
    this.slots = new Uint32Array(capacity * WORDS);
    this.mask = capacity - 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += WORDS) {
      const offset = old[at + 2] as number;
      if (offset !== 0) this.place(old[at] as number, old[at + 1] as number, offset);
    }
  }

  /**
   * Calls `visit` with the offset of every entry whose fingerprint equals this one, until
   * it returns true; returns that offset, or 0.
   */
  find(fingerprint: Fingerprint, visit: (offset: number) => boolean): number {
    const slots = this.slots;
    const { high, low } = fingerprint;
    for (let slot = high & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * WORDS;
      const offset = slots[at + 2] as number;
      if (offset === 0) return 0;
      if (slots[at] === high && slots[at + 1] === low && visit(offset)) return offset;
    }
  }

  /** Adds an entry; it stays once `commit()` follows, `rollBack()` removes it. */
  add(fingerprint: Fingerprint, offset: number): void {
    if (offset < 1 || offset > MAX_INDEXED_OFFSET)
      throw new RangeError(`offset ${offset} is outside what the event id index holds`);
    this.reserve(1);
    this.tentative.push(this.place(fingerprint.high, fingerprint.low, offset));
  }

  commit(): void {
    this.tentative.length = 0;
  }

  /**
   * Empties the slots filled since the last commit, newest first. Linear probing puts an
   * entry in the first empty slot of its run, so undoing insertions in reverse order gives
   * back exactly the table as it was (growth in between would move entries, hence
   * `reserve` before a batch).
   */
  rollBack(): void {
    for (let i = this.tentative.length - 1; i >= 0; i--) {
      const at = (this.tentative[i] as number) * WORDS;
      this.slots[at] = 0;
      this.slots[at + 1] = 0;
      this.slots[at + 2] = 0;
      this.size--;
    }
    this.tentative.length = 0;
  }

  private place(high: number, low: number, offset: number): number {
    const slots = this.slots;
    let slot = high & this.mask;
    while (slots[slot * WORDS + 2] !== 0) slot = (slot + 1) & this.mask;
    const at = slot * WORDS;
    slots[at] = high;
    slots[at + 1] = low;
    slots[at + 2] = offset;
    this.size++;
    return slot;
  }
}
