import { InteractionTypes } from '../../src/core/domain/interaction.js';
import { createRandom } from '../../src/core/models/random.js';
import type { InteractionLog } from '../../src/core/recommend/interaction-views.js';

/** Shared fixtures for the recommend tests (not used by the pipeline itself). */

export interface BlockClicksOptions {
  readonly seed: number;
  /** Users 0 .. users - 1 get clicks; user u belongs to block u % blocks. */
  readonly users: number;
  readonly blocks: number;
  readonly itemsPerBlock: number;
  /** Distinct items each user clicks, all in their own block. */
  readonly clicksPerUser: number;
  /** Users the read model knows (more than `users` leaves ids free for new users). */
  readonly userCapacity?: number;
}

/** Clicks planted in item blocks, in user order with increasing timestamps. */
export function blockClicks(options: BlockClicksOptions): {
  log: InteractionLog;
  users: number;
  items: number;
} {
  const click = new InteractionTypes().indexOf('click')!;
  const random = createRandom(options.seed);
  const users: number[] = [];
  const items: number[] = [];
  for (let user = 0; user < options.users; user++) {
    const block = user % options.blocks;
    const chosen = new Set<number>();
    while (chosen.size < options.clicksPerUser)
      chosen.add(block * options.itemsPerBlock + random.nextInt(options.itemsPerBlock));
    for (const item of chosen) {
      users.push(user);
      items.push(item);
    }
  }
  const n = users.length;
  return {
    log: {
      users: Int32Array.from(users),
      items: Int32Array.from(items),
      types: new Uint8Array(n).fill(click),
      values: new Float64Array(n).fill(Number.NaN),
      times: Float64Array.from({ length: n }, (_, i) => 1_000 + i),
    },
    users: options.userCapacity ?? options.users,
    items: options.blocks * options.itemsPerBlock,
  };
}
