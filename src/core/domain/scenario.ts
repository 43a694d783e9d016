/** The retrieval sources a scenario can combine, in a fixed order (their slot in arrays). */
export const SOURCE_NAMES = ['cf', 'recent', 'trending', 'content', 'category-popular'] as const;

export type SourceName = (typeof SOURCE_NAMES)[number];

export interface SourceSetting {
  readonly name: SourceName;
  /** Most candidates this source proposes (raised to the page's end when smaller). */
  readonly budget: number;
  /** Its weight in the blended score. */
  readonly weight: number;
}

export interface StageBudgets {
  readonly retrieveMs: number;
  readonly filterMs: number;
  readonly scoreMs: number;
  readonly orderMs: number;
}

export type Diversity =
  | { readonly mode: 'none' }
  /** Maximal marginal relevance: λ · relevance − (1 − λ) · most category overlap with those above. */
  | { readonly mode: 'mmr'; readonly lambda: number }
  /** At most `perCategory` items of any one category; the rest move below. */
  | { readonly mode: 'category-cap'; readonly perCategory: number };

/** A placement's configuration (home page, item page, cart...), as stored. */
export interface ScenarioConfig {
  readonly description?: string;
  readonly sources: readonly SourceSetting[];
  /** Sources tried in order when the scenario's own give too few items or fail. */
  readonly fallback: readonly SourceName[];
  /** A rule every item must pass. */
  readonly filter?: string;
  /** Boost rules: each matching rule multiplies the score. */
  readonly boost?: string;
  /** Interaction types whose items count as seen and are left out; default: the types marked `marksSeen`. */
  readonly seenTypes?: readonly string[];
  /** Leave out items the user reacted to negatively (types with negative weight). Default true. */
  readonly excludeNegative?: boolean;
  readonly diversity?: Diversity;
  /** Share of slots given to exploration (0 to 0.5). */
  readonly exploration?: number;
  /** Items always shown at a position (0-based), when not hidden or excluded. */
  readonly pinned?: readonly { readonly id: string; readonly position: number }[];
  /** Score with the learned ranker once it is trained (else the weighted blend). */
  readonly ranker?: boolean;
  readonly budgets?: Partial<StageBudgets>;
}

export interface Scenario {
  readonly name: string;
  readonly version: number;
  readonly config: ScenarioConfig;
  /** ms since the epoch. */
  readonly updatedAt: number;
}

export const DEFAULT_SCENARIO = 'default';

/**
 * The built-in scenario: the trained pipeline alone, trending when it has nothing to go
 * on. Its ranking is exactly the trained pipeline's.
 */
export const BUILT_IN_DEFAULT: ScenarioConfig = {
  description: 'The trained pipeline; trending when it has nothing to go on.',
  sources: [{ name: 'cf', budget: 100, weight: 1 }],
  fallback: ['trending'],
};
