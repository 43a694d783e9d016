import type { Item } from '../domain/item.js';
import { readsRequest } from './ast.js';
import { bindingOnceIfItemOnly, compileCondition, environmentOf } from './compile.js';
import { parseFilter } from './parser.js';
import { requiredCategories } from './required-categories.js';
import { checkFilter } from './type-check.js';
import type { CompiledFilter, RuleBindings } from './types.js';

const ACCEPT_ALL = (): boolean => true;
const REJECT_ALL = (): boolean => false;

/** Parses, type-checks and compiles a filter; throws a RuleError (INVALID_RULE). */
export function compileFilter(source: string): CompiledFilter {
  const expression = parseFilter(source);
  checkFilter(source, expression);
  const condition = compileCondition(expression);
  const bindTo = (bindings: RuleBindings | undefined): ((item: Item) => boolean) => {
    const bound = condition(environmentOf(bindings));
    if (!bound.constant) return bound.fn;
    return bound.value ? ACCEPT_ALL : REJECT_ALL;
  };
  return {
    source,
    requiredCategories: requiredCategories(expression),
    bind: bindingOnceIfItemOnly(readsRequest(expression), bindTo),
  };
}
