import { SOURCE_COUNT } from './sources.js';

/** Why a candidate was dropped by the filter stage (0: kept). */
export const Removal = {
  kept: 0,
  seen: 1,
  negative: 2,
  unavailable: 3,
  excluded: 4,
  rule: 5,
} as const;

export const REMOVAL_NAMES = ['kept', 'seen', 'negative', 'unavailable', 'excluded', 'rule'];

/**
 * The candidates of one request: which items, which sources proposed each (with the raw
 * score and rank each gave), and the per-stage values computed for them. Slots are dense
 * 0 .. count-1; `slotOf` maps an item back to its slot. Everything is allocated once and
 * reused; `clear` only undoes what the last request touched.
 */
export class CandidateSet {
  count = 0;
  items: Int32Array;
  /** raw score per (slot, source); NaN when that source did not propose the item. */
  sourceScores: Float32Array;
  /** 1-based rank per (slot, source); 0 when not proposed. */
  sourceRanks: Int32Array;
  /** 0 for the scenario's own sources, 1 for items from the fallback chain. */
  tiers: Uint8Array;
  removal: Uint8Array;
  scores: Float64Array;
  blend: Float64Array;
  boosts: Float64Array;
  private slotOf: Int32Array;

  constructor(
    readonly capacity: number,
    itemCapacity: number,
  ) {
    this.items = new Int32Array(capacity);
    this.sourceScores = new Float32Array(capacity * SOURCE_COUNT);
    this.sourceRanks = new Int32Array(capacity * SOURCE_COUNT);
    this.tiers = new Uint8Array(capacity);
    this.removal = new Uint8Array(capacity);
    this.scores = new Float64Array(capacity);
    this.blend = new Float64Array(capacity);
    this.boosts = new Float64Array(capacity);
    this.slotOf = new Int32Array(itemCapacity).fill(-1);
  }

  /** Makes room for item indexes below `items` (the catalog grew). */
  ensureItems(items: number): void {
    if (items <= this.slotOf.length) return;
    const grown = new Int32Array(Math.max(items, this.slotOf.length * 2)).fill(-1);
    grown.set(this.slotOf);
    this.slotOf = grown;
  }

  clear(): void {
    for (let slot = 0; slot < this.count; slot++) this.slotOf[this.items[slot]!] = -1;
    this.sourceScores.fill(Number.NaN, 0, this.count * SOURCE_COUNT);
    this.sourceRanks.fill(0, 0, this.count * SOURCE_COUNT);
    this.count = 0;
  }

  slot(item: number): number {
    return this.slotOf[item] ?? -1;
  }

  /**
   * Records that `source` proposed `item` with `score` at `rank` (1-based). Returns false
   * when the set is full and the item is new.
   */
  propose(item: number, source: number, score: number, rank: number, tier: number): boolean {
    let slot = this.slotOf[item]!;
    if (slot < 0) {
      if (this.count >= this.capacity) return false;
      slot = this.count++;
      this.slotOf[item] = slot;
      this.items[slot] = item;
      this.tiers[slot] = tier;
      this.removal[slot] = 0;
      this.scores[slot] = 0;
      this.blend[slot] = 0;
      this.boosts[slot] = 1;
      this.sourceScores.fill(Number.NaN, slot * SOURCE_COUNT, (slot + 1) * SOURCE_COUNT);
      this.sourceRanks.fill(0, slot * SOURCE_COUNT, (slot + 1) * SOURCE_COUNT);
    } else if (tier < this.tiers[slot]!) this.tiers[slot] = tier;
    const at = slot * SOURCE_COUNT + source;
    this.sourceScores[at] = score;
    this.sourceRanks[at] = rank;
    return true;
  }

  /** Drops every candidate proposed only by `source` and forgets that source's proposals. */
  retract(source: number): void {
    let write = 0;
    for (let slot = 0; slot < this.count; slot++) {
      const item = this.items[slot]!;
      const base = slot * SOURCE_COUNT;
      this.sourceScores[base + source] = Number.NaN;
      this.sourceRanks[base + source] = 0;
      let proposed = false;
      for (let s = 0; s < SOURCE_COUNT; s++) if (this.sourceRanks[base + s]! > 0) proposed = true;
      if (!proposed) {
        this.slotOf[item] = -1;
        continue;
      }
      if (write !== slot) this.move(slot, write);
      write++;
    }
    this.count = write;
  }

  alive(slot: number): boolean {
    return this.removal[slot] === 0;
  }

  aliveCount(): number {
    let alive = 0;
    for (let slot = 0; slot < this.count; slot++) if (this.removal[slot] === 0) alive++;
    return alive;
  }

  rank(slot: number, source: number): number {
    return this.sourceRanks[slot * SOURCE_COUNT + source]!;
  }

  sourceScore(slot: number, source: number): number {
    return this.sourceScores[slot * SOURCE_COUNT + source]!;
  }

  private move(from: number, to: number): void {
    const item = this.items[from]!;
    this.items[to] = item;
    this.slotOf[item] = to;
    this.tiers[to] = this.tiers[from]!;
    this.removal[to] = this.removal[from]!;
    this.scores[to] = this.scores[from]!;
    this.blend[to] = this.blend[from]!;
    this.boosts[to] = this.boosts[from]!;
    this.sourceScores.copyWithin(to * SOURCE_COUNT, from * SOURCE_COUNT, (from + 1) * SOURCE_COUNT);
    this.sourceRanks.copyWithin(to * SOURCE_COUNT, from * SOURCE_COUNT, (from + 1) * SOURCE_COUNT);
  }
}
