// Interactions with a known structure: users and items in blocks, each user clicking a
// share of their own block's items. A model that learned anything ranks a user's unseen
// in-block items first; block 0 is additionally made the most active lately (trending).
import type { EventBodyT } from '../../src/contracts/schemas.js';
import { createRandom } from '../../src/core/models/random.js';

export interface PlantedData {
  readonly events: EventBodyT[];
  readonly blockOfItem: (itemId: string) => number;
  readonly itemsOfBlock: (block: number) => string[];
}

export function plantedInteractions(
  options: {
    blocks?: number;
    usersPerBlock?: number;
    itemsPerBlock?: number;
    density?: number;
  } = {},
): PlantedData {
  const blocks = options.blocks ?? 6;
  const usersPerBlock = options.usersPerBlock ?? 30;
  const itemsPerBlock = options.itemsPerBlock ?? 40;
  const density = options.density ?? 0.3;
  const random = createRandom(3);
  const events: EventBodyT[] = [];
  const start = 1_700_000_000;
  let time = start + 86_400;
  for (let block = 0; block < blocks; block++) {
    for (let u = 0; u < usersPerBlock; u++) {
      for (let i = 0; i < itemsPerBlock; i++) {
        if (random.next() >= density) continue;
        events.push({
          type: 'click',
          userId: `u${block}-${u}`,
          itemId: `i${block}-${i}`,
          // Times in random order within each user, so "latest" says nothing about the item.
          timestamp: start + random.nextInt(86_400),
        });
      }
    }
  }
  // Block 0 is trending: many recent views from casual visitors.
  for (let v = 0; v < 600; v++) {
    events.push({
      type: 'view',
      userId: `visitor${v % 200}`,
      itemId: `i0-${v % 10}`,
      timestamp: time++ + 86_400,
    });
  }
  return {
    events,
    blockOfItem: (itemId) => Number(/^i(\d+)-/.exec(itemId)?.[1] ?? -1),
    itemsOfBlock: (block) => Array.from({ length: itemsPerBlock }, (_, i) => `i${block}-${i}`),
  };
}

/** A small, fast pipeline for tests that do not exercise the search. */
export const TEST_PIPELINE = JSON.stringify({
  components: [
    {
      kind: 'ials',
      view: 'strength',
      weight: 1,
      params: {
        factors: 16,
        regularization: 1,
        regularizationExponent: 0.5,
        alpha: 2,
        iterations: 8,
      },
    },
    { kind: 'ease', view: 'presence', weight: 0.5, params: { lambda: 50 } },
  ],
  historyLimit: 500,
});
