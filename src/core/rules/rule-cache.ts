import { compileBoosts } from './boosts.js';
import { compileFilter } from './filter.js';
import type { CompiledBoosts, CompiledFilter } from './types.js';

interface Entry<T> {
  readonly rule: T;
  /** When it was last asked for (a count of uses). */
  used: number;
}

/**
 * Compiled rules by source text, least recently used dropped beyond `capacity` (filters
 * and boosts together). Clients send the same few rules with every request, so each is
 * parsed once. A rule that fails to compile is not kept: each call throws again.
 */
export class RuleCache {
  // A Map iterates in insertion order; re-inserting on every hit keeps the LRU first.
  // Filters and boosts apart, so the source text itself is the key.
  private readonly filters = new Map<string, Entry<CompiledFilter>>();
  private readonly boostRules = new Map<string, Entry<CompiledBoosts>>();
  private uses = 0;

  constructor(private readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`a rule cache needs a capacity of at least 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.filters.size + this.boostRules.size;
  }

  filter(source: string): CompiledFilter {
    return this.get(this.filters, source, compileFilter);
  }

  boosts(source: string): CompiledBoosts {
    return this.get(this.boostRules, source, compileBoosts);
  }

  private get<T>(
    entries: Map<string, Entry<T>>,
    source: string,
    compile: (source: string) => T,
  ): T {
    const cached = entries.get(source);
    if (cached !== undefined) {
      entries.delete(source);
      entries.set(source, cached);
      cached.used = this.uses++;
      return cached.rule;
    }
    const rule = compile(source);
    entries.set(source, { rule, used: this.uses++ });
    if (this.size > this.capacity) this.dropLeastRecent();
    return rule;
  }

  /** Each map's first entry is its least recently used; the older of the two goes. */
  private dropLeastRecent(): void {
    const filter = this.filters.entries().next().value;
    const boosts = this.boostRules.entries().next().value;
    if (boosts === undefined || (filter !== undefined && filter[1].used < boosts[1].used))
      this.filters.delete(filter![0]);
    else this.boostRules.delete(boosts[0]);
  }
}
