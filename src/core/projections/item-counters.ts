import type { Hash } from 'node:crypto';
import type { InteractionTypes } from '../domain/interaction.js';
import type { Catalog } from './catalog.js';
import { grow } from './growable.js';
import type { Projection, ProjectionState, ResolvedInteraction } from './projection.js';

/**
 * Interaction counts per item and type, and the time of each item's last interaction.
 * Aggregates: they keep counting interactions of users who were later erased.
 */
export class ItemCounters implements Projection {
  readonly name = 'item-counters';
  private counts = new Uint32Array(0);
  private lastTimes = new Uint32Array(0);
  private readonly typeCount: number;

  constructor(
    private readonly catalog: Catalog,
    private readonly types: InteractionTypes,
  ) {
    this.typeCount = types.size;
  }

  count(itemIndex: number, typeIndex: number): number {
    return this.counts[itemIndex * this.typeCount + typeIndex] ?? 0;
  }

  total(itemIndex: number): number {
    let sum = 0;
    for (let t = 0; t < this.typeCount; t++) sum += this.count(itemIndex, t);
    return sum;
  }

  /** Unix seconds of the item's latest interaction, 0 when none. */
  lastInteractionAt(itemIndex: number): number {
    return this.lastTimes[itemIndex] ?? 0;
  }

  countsByType(itemIndex: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (let t = 0; t < this.typeCount; t++) {
      const n = this.count(itemIndex, t);
      if (n > 0) out[this.types.nameOf(t)] = n;
    }
    return out;
  }

  /** Only interactions change counters, and they arrive through `applyInteraction`. */
  apply(): void {}

  applyInteraction({ item, type, time }: ResolvedInteraction): void {
    const slot = item * this.typeCount + type;
    if (item >= this.lastTimes.length) {
      this.counts = grow(this.counts, (item + 1) * this.typeCount, Uint32Array);
      this.lastTimes = grow(this.lastTimes, item + 1, Uint32Array);
    }
    this.counts[slot] = (this.counts[slot] ?? 0) + 1;
    if (time > (this.lastTimes[item] ?? 0)) this.lastTimes[item] = time;
  }

  checksum(hash: Hash): void {
    const items = this.catalog.capacity;
    const counts = new Uint32Array(items * this.typeCount);
    counts.set(this.counts.subarray(0, Math.min(this.counts.length, counts.length)));
    const lastTimes = new Uint32Array(items);
    lastTimes.set(this.lastTimes.subarray(0, Math.min(this.lastTimes.length, items)));
    hash.update(`item-counters:${items}:${this.typeCount}\n`);
    hash.update(new Uint8Array(counts.buffer));
    hash.update(new Uint8Array(lastTimes.buffer));
  }

  snapshot(): ProjectionState {
    return {
      json: { typeCount: this.typeCount },
      arrays: { counts: this.counts, lastTimes: this.lastTimes },
    };
  }

  restore(state: ProjectionState): void {
    this.counts = Uint32Array.from(state.arrays['counts'] as Uint32Array);
    this.lastTimes = Uint32Array.from(state.arrays['lastTimes'] as Uint32Array);
  }
}
