// A request's rules (the scenario's and its own filter and boost) compiled through the
// cache and bound to what they may read of the request.
import type { Item } from '../../core/domain/item.js';
import type { RuleBindings, RuleCache, RuleValue } from '../../core/rules/index.js';
import type { ScenarioConfig } from '../../core/domain/scenario.js';

/**
 * What rules may read of a request, built only if a rule reads it: most filters read
 * item attributes alone, and the user's attributes and the context cost an object each.
 */
export class LazyBindings implements RuleBindings {
  private userValue: Readonly<Record<string, RuleValue>> | undefined | null = null;
  private contextValue: Readonly<Record<string, RuleValue>> | null = null;

  constructor(
    private readonly makeUser: () => Readonly<Record<string, RuleValue>> | undefined,
    private readonly makeContext: () => Readonly<Record<string, RuleValue>>,
    readonly now: number,
  ) {}

  get user(): Readonly<Record<string, RuleValue>> | undefined {
    if (this.userValue === null) this.userValue = this.makeUser();
    return this.userValue;
  }

  get context(): Readonly<Record<string, RuleValue>> {
    this.contextValue ??= this.makeContext();
    return this.contextValue;
  }
}

/** The pipeline's predicates of one request; absent when no rule asks for them. */
export interface RequestPredicates {
  filter?: (item: Item) => boolean;
  categories?: readonly string[];
  boost?: (item: Item) => number;
  explainBoost?: (item: Item) => readonly { rule: string; factor: number }[];
}

export function requestPredicates(
  rules: RuleCache,
  config: ScenarioConfig,
  request: { readonly filter?: string; readonly boost?: string },
  bindings: RuleBindings,
): RequestPredicates {
  // Plain loops: this runs on every request with a filter.
  const filters: ((item: Item) => boolean)[] = [];
  const categories: string[] = [];
  for (const source of [config.filter, request.filter]) {
    if (source === undefined || source.trim() === '') continue;
    const filter = rules.filter(source);
    filters.push(filter.bind(bindings));
    for (const category of filter.requiredCategories) categories.push(category);
  }
  const boostRules: ReturnType<RuleCache['boosts']>[] = [];
  const boosts: ((item: Item) => number)[] = [];
  for (const source of [config.boost, request.boost]) {
    if (source === undefined || source.trim() === '') continue;
    const rule = rules.boosts(source);
    boostRules.push(rule);
    boosts.push(rule.bind(bindings));
  }
  const out: RequestPredicates = {};
  if (categories.length > 0) out.categories = categories;
  if (filters.length === 1) out.filter = filters[0]!;
  else if (filters.length === 2) {
    const [a, b] = filters as [(item: Item) => boolean, (item: Item) => boolean];
    out.filter = (item) => a(item) && b(item);
  }
  if (boosts.length > 0) {
    out.boost = (item) => {
      let factor = 1;
      for (const boost of boosts) factor *= boost(item);
      return factor;
    };
    out.explainBoost = (item) => boostRules.flatMap((rule) => rule.explain(item, bindings));
  }
  return out;
}
