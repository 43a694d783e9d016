import {
  BUILT_IN_DEFAULT,
  type Diversity,
  type ScenarioConfig,
  type StageBudgets,
} from '../domain/scenario.js';

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
