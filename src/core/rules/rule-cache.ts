import { compileBoosts } from './boosts.js';
import { compileFilter } from './filter.js';
import type { CompiledBoosts, CompiledFilter } from './types.js';

type Entry =
  | { readonly kind: 'filter'; readonly rule: CompiledFilter }
  | { readonly kind: 'boosts'; readonly rule: CompiledBoosts };

/**
 * Compiled rules by source text, least recently used dropped beyond `capacity` (filters
 * and boosts together). Clients send the same few rules with every request, so each is
 * parsed once. A rule that fails to compile is not kept: each call throws again.
 */
export class RuleCache {
  // A Map iterates in insertion order; re-inserting on every hit keeps the LRU first.
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`a rule cache needs a capacity of at least 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  filter(source: string): CompiledFilter {
    const entry = this.get(`f:${source}`, () => ({ kind: 'filter', rule: compileFilter(source) }));
    if (entry.kind !== 'filter') throw new Error('rule cache keys are prefixed by kind');
    return entry.rule;
  }

  boosts(source: string): CompiledBoosts {
    const entry = this.get(`b:${source}`, () => ({ kind: 'boosts', rule: compileBoosts(source) }));
    if (entry.kind !== 'boosts') throw new Error('rule cache keys are prefixed by kind');
    return entry.rule;
  }

  private get(key: string, compile: () => Entry): Entry {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const entry = compile();
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }
}
