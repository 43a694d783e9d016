import type { Item } from '../domain/item.js';
import { readsRequest } from './ast.js';
import { compileCondition, environmentOf } from './compile.js';
import { parseFilter } from './parser.js';
import { requiredCategories } from './required-categories.js';
import { checkFilter } from './type-check.js';
import type { CompiledFilter, RuleBindings } from './types.js';

const ACCEPT_ALL = (): boolean => true;
const REJECT_ALL = (): boolean => false;

/** Parses, type-checks and compiles a filter; throws KindredError INVALID_RULE. */
export function compileFilter(source: string): CompiledFilter {
  const expression = parseFilter(source);
  checkFilter(source, expression);
  const condition = compileCondition(expression);
  const bindTo = (bindings: RuleBindings | undefined): ((item: Item) => boolean) => {
    const bound = condition(environmentOf(bindings));
    if (!bound.constant) return bound.fn;
    return bound.value ? ACCEPT_ALL : REJECT_ALL;
  };
  // A filter on the item alone binds to the same predicate for every request: once.
  let shared: ((item: Item) => boolean) | undefined;
  const itemOnly = !readsRequest(expression);
  return {
    source,
    requiredCategories: requiredCategories(expression),
    bind(bindings): (item: Item) => boolean {
      if (!itemOnly) return bindTo(bindings);
      shared ??= bindTo(undefined);
      return shared;
    },
  };
}
