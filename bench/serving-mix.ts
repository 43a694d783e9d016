// What the serving benchmarks share: the catalog's categories, the request mix and the
// training pipeline (bench/serving.ts over HTTP, bench/recommend-cpu.ts in process).
import type { createRandom } from '../src/core/models/random.js';

export const CATEGORIES = [
  'Books', 'Music', 'Movies', 'Games', 'Toys', 'Garden', 'Kitchen', 'Sports', 'Outdoors', 'Beauty',
  'Health', 'Office', 'Pets', 'Baby', 'Tools', 'Auto', 'Shoes', 'Jewelry', 'Electronics', 'Crafts',
]; // prettier-ignore
export const EXCLUDES = 5;
/** The generated catalog: the benchmark's, and the smaller one of `--short`. */
export const FULL_SIZE = { ITEMS: 100_000, USERS: 50_000, INTERACTIONS: 2_000_000 };
export const SHORT_SIZE = { ITEMS: 10_000, USERS: 5_000, INTERACTIONS: 200_000 };
export const K = 10;

/** The model the benchmarks train (iALS, 32 factors, 6 iterations). */
export const PIPELINE = JSON.stringify({
  components: [
    {
      kind: 'ials',
      view: 'strength',
      weight: 1,
      params: {
        factors: 32,
        regularization: 1,
        regularizationExponent: 0.5,
        alpha: 2,
        iterations: 6,
      },
    },
  ],
  historyLimit: 200,
});

export interface RecommendationQuery {
  readonly user: string;
  readonly filter: string;
  readonly exclude: readonly string[];
}

/** One request of the mix: a random user, a random category filter, five random excludes. */
export function recommendationQuery(
  random: ReturnType<typeof createRandom>,
  users: number,
  items: number,
): RecommendationQuery {
  const user = `u${random.nextInt(users)}`;
  const category = CATEGORIES[random.nextInt(CATEGORIES.length)]!;
  const exclude = Array.from({ length: EXCLUDES }, () => `i${random.nextInt(items)}`);
  return { user, filter: `"${category}" in categories`, exclude };
}
