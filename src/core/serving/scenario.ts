import type { Diversity } from './ordering.js';
import type { SourceName } from './sources.js';

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
 * Generous on purpose: a safety net against a stage gone wrong, not a trigger for the
 * scheduling jitter of a busy machine (a skipped `cf` stage serves trending instead).
 * Scenarios that prefer a fast fallback set tighter ones.
 */
export const DEFAULT_STAGE_BUDGETS: StageBudgets = {
  retrieveMs: 200,
  filterMs: 50,
  scoreMs: 50,
  orderMs: 50,
};

/**
 * The built-in scenario: the trained pipeline alone, trending when it has nothing to go
 * on. Its ranking is exactly the trained pipeline's.
 */
export const BUILT_IN_DEFAULT: ScenarioConfig = {
  description: 'The trained pipeline; trending when it has nothing to go on.',
  sources: [{ name: 'cf', budget: 100, weight: 1 }],
  fallback: ['trending'],
};

/** The similar-items counterpart: the same, seeded by one item. */
export const SIMILAR_DEFAULT: ScenarioConfig = BUILT_IN_DEFAULT;

/** What a request may change of its scenario. */
export interface ScenarioOverrides {
  readonly filter?: string;
  readonly boost?: string;
  readonly diversity?: Diversity;
}

/** Parses the `diversity` request parameter: `none`, `mmr`, `mmr:0.7`, `cap:2`. */
export function parseDiversity(text: string): Diversity | undefined {
  if (text === 'none') return { mode: 'none' };
  const mmr = /^mmr(?::(0(?:\.\d+)?|1(?:\.0+)?))?$/.exec(text);
  if (mmr) return { mode: 'mmr', lambda: mmr[1] === undefined ? 0.7 : Number(mmr[1]) };
  const cap = /^cap:([1-9]\d{0,3})$/.exec(text);
  if (cap) return { mode: 'category-cap', perCategory: Number(cap[1]) };
  return undefined;
}
