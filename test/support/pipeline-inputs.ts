import type { InteractionTypes } from '../../src/core/domain/interaction.js';
import type { Item } from '../../src/core/domain/item.js';
import type { HistoryReader } from '../../src/core/recommend/recommender.js';
import type { PipelineRequest, ResolvedScenario } from '../../src/core/serving/serving-pipeline.js';
import { DEFAULT_STAGE_BUDGETS } from '../../src/core/serving/scenario.js';

/**
 * Items 0 .. count-1 for pipeline tests and benchmarks: item i is in category `c${i % 3}`, costs i, and
 * is available below `available`.
 */
export function testCatalog(count: number, available: number, nowSeconds: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `i${i}`,
    title: `item ${i}`,
    text: {},
    categories: [`c${i % 3}`],
    tags: [],
    attributes: { price: i },
    available: i < available,
    hidden: false,
    createdAt: nowSeconds * 1000,
    updatedAt: nowSeconds * 1000,
  }));
}

/** A history of (item, interaction type) entries, newest first. */
export function historyReader(entries: readonly [item: number, type: number][]): HistoryReader {
  return {
    readRecent(_user, items, historyTypes, values) {
      const n = Math.min(entries.length, items.length);
      for (let i = 0; i < n; i++) {
        items[i] = entries[i]![0];
        historyTypes[i] = entries[i]![1];
        values[i] = Number.NaN;
      }
      return n;
    },
  };
}

/** A resolved scenario: `cf` alone, trending as the fallback, the types' seen and negative marks. */
export function testScenario(
  types: InteractionTypes,
  overrides: Partial<ResolvedScenario> = {},
): ResolvedScenario {
  return {
    name: 'test',
    version: 1,
    sources: [{ name: 'cf', budget: 100, weight: 1 }],
    fallback: ['trending'],
    seenTypes: Uint8Array.from(types.seenMask),
    negativeTypes: Uint8Array.from(types.weights, (w) => (w < 0 ? 1 : 0)),
    diversity: { mode: 'none' },
    exploration: 0,
    pinned: [],
    ranker: false,
    budgets: DEFAULT_STAGE_BUDGETS,
    ...overrides,
  };
}

/** A request for user 0 with `reader`'s history: `k` items from the top, no explain, no tracing. */
export function testRequest(
  scenario: ResolvedScenario,
  reader: HistoryReader,
  k: number,
  nowSeconds: number,
  overrides: Partial<PipelineRequest> = {},
): PipelineRequest {
  return {
    subject: { kind: 'user', user: 0, reader },
    scenario,
    k,
    offset: 0,
    explain: false,
    now: nowSeconds,
    seed: 1,
    trace: { stage: (_name, fn) => fn() },
    ...overrides,
  };
}
