export type {
  BoostEffect,
  CompiledBoosts,
  CompiledFilter,
  RuleBindings,
  RuleValue,
} from './types.js';
export { compileFilter } from './filter.js';
export { compileBoosts } from './boosts.js';
export { RuleCache } from './rule-cache.js';
export { MAX_RULE_DEPTH, MAX_RULE_LENGTH, RuleError, type RuleErrorDetails } from './rule-error.js';
