import { createRandom } from '../../src/core/models/random.js';

export interface SyntheticInteractions {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly weights: Float32Array;
  readonly userCount: number;
  readonly itemCount: number;
}

/**
 * Distinct (user, item) pairs with power-law item popularity (Zipf, exponent
 * `itemExponent`) and log-normal user activity, the shape of real interaction logs:
 * a few blockbuster items, a long tail, most users with a handful of events.
 * Weights are small integers, like summed event-type weights.
 */
export function generateInteractions(
  userCount: number,
  itemCount: number,
  interactions: number,
  seed = 1,
  itemExponent = 0.9,
): SyntheticInteractions {
  const random = createRandom(seed);
  const popularity = new Float64Array(itemCount);
  let total = 0;
  for (let item = 0; item < itemCount; item++) {
    total += 1 / Math.pow(item + 1, itemExponent);
    popularity[item] = total;
  }
  const sampleItem = (): number => {
    const target = random.next() * total;
    let low = 0;
    let high = itemCount - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (popularity[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  const activity = new Float64Array(userCount);
  let activityTotal = 0;
  for (let user = 0; user < userCount; user++) {
    activity[user] = Math.exp(1.2 * random.nextGaussian());
    activityTotal += activity[user]!;
  }
  const counts = new Int32Array(userCount);
  let assigned = 0;
  const cap = Math.floor(itemCount / 4);
  for (let user = 0; user < userCount; user++) {
    counts[user] = Math.max(
      1,
      Math.min(cap, Math.round((activity[user]! / activityTotal) * interactions)),
    );
    assigned += counts[user]!;
  }
  // Rounding leaves the total a little off; spread the difference over random users.
  while (assigned !== interactions) {
    const user = random.nextInt(userCount);
    if (assigned < interactions && counts[user]! < cap) {
      counts[user]!++;
      assigned++;
    } else if (assigned > interactions && counts[user]! > 1) {
      counts[user]!--;
      assigned--;
    }
  }

  const users = new Int32Array(interactions);
  const items = new Int32Array(interactions);
  const weights = new Float32Array(interactions);
  const lastUserOfItem = new Int32Array(itemCount).fill(-1);
  let position = 0;
  for (let user = 0; user < userCount; user++) {
    for (let n = 0; n < counts[user]!; n++) {
      let item: number;
      do item = sampleItem();
      while (lastUserOfItem[item] === user);
      lastUserOfItem[item] = user;
      users[position] = user;
      items[position] = item;
      weights[position] = 1 + random.nextInt(4);
      position++;
    }
  }
  return { users, items, weights, userCount, itemCount };
}
