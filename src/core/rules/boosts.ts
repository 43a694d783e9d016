import type { Item } from '../domain/item.js';
import { isConstant, readsRequest, type BoostNode } from './ast.js';
import {
  bindingOnceIfItemOnly,
  compileCondition,
  compileValue,
  environmentOf,
  type Binder,
  type Bound,
} from './compile.js';
import { parseBoosts } from './parser.js';
import { describeLocation, ruleError } from './rule-error.js';
import { checkBoosts } from './type-check.js';
import type { BoostEffect, CompiledBoosts, RuleBindings } from './types.js';
import { isFactor, type Value } from './values.js';

interface CompiledBoost {
  readonly rule: string;
  readonly factor: Binder<Value>;
  readonly condition: Binder<boolean> | undefined;
}

interface BoundBoost {
  readonly condition: ((item: Item) => boolean) | undefined;
  readonly factor: (item: Item) => Value;
}

function compileBoost(source: string, node: BoostNode): CompiledBoost {
  const factor = compileValue(node.factor);
  if (isConstant(node.factor)) {
    const bound = factor({ user: undefined, context: undefined, now: 0 });
    if (bound.constant && !isFactor(bound.value)) {
      const written = source.slice(node.factor.start, node.factor.end);
      throw ruleError(
        source,
        `a boost factor must be a finite number of 0 or more at ${describeLocation(source, node.factor.start)}, found ${written}`,
        {
          position: node.factor.start,
          length: node.factor.end - node.factor.start,
          expected: 'a finite number of 0 or more',
          found: written,
        },
      );
    }
  }
  return {
    rule: source.slice(node.start, node.end),
    factor,
    condition: node.condition ? compileCondition(node.condition) : undefined,
  };
}

interface ExplainedBoost {
  readonly rule: string;
  readonly condition: Bound<boolean> | undefined;
  readonly factor: Bound<Value>;
}

/** The factor a boost applies to an item, or undefined when it does not apply. */
function effectOf(boost: ExplainedBoost, item: Item): number | undefined {
  const condition = boost.condition;
  if (condition && !(condition.constant ? condition.value : condition.fn(item))) return undefined;
  const factor = boost.factor;
  const value = factor.constant ? factor.value : factor.fn(item);
  return isFactor(value) ? value : undefined;
}

/**
 * Parses, type-checks and compiles boosts; throws a RuleError (INVALID_RULE). A factor that
 * is not a finite number of 0 or more when the rule runs (a missing attribute) is skipped.
 */
export function compileBoosts(source: string): CompiledBoosts {
  const nodes = parseBoosts(source);
  checkBoosts(source, nodes);
  const boosts = nodes.map((node) => compileBoost(source, node));
  let explained:
    | { readonly bindings: RuleBindings | undefined; readonly boosts: readonly ExplainedBoost[] }
    | undefined;
  const bindTo = (bindings: RuleBindings | undefined): ((item: Item) => number) => {
    const env = environmentOf(bindings);
    // Boosts that do not depend on the item multiply into one constant.
    let constantProduct = 1;
    const perItem: BoundBoost[] = [];
    for (const boost of boosts) {
      const condition = boost.condition?.(env);
      if (condition?.constant && !condition.value) continue;
      const factor = boost.factor(env);
      if ((!condition || condition.constant) && factor.constant) {
        if (isFactor(factor.value)) constantProduct *= factor.value;
        continue;
      }
      perItem.push({
        condition: condition && !condition.constant ? condition.fn : undefined,
        factor: factor.constant ? () => factor.value : factor.fn,
      });
    }
    if (perItem.length === 0) return () => constantProduct;
    return (item) => {
      let product = constantProduct;
      for (const boost of perItem) {
        if (boost.condition !== undefined && !boost.condition(item)) continue;
        const factor = boost.factor(item);
        if (isFactor(factor)) product *= factor;
      }
      return product;
    };
  };
  const reads = nodes.some(
    (node) =>
      readsRequest(node.factor) || (node.condition !== undefined && readsRequest(node.condition)),
  );
  return {
    source,
    bind: bindingOnceIfItemOnly(reads, bindTo),
    explain(item, bindings): readonly BoostEffect[] {
      // explain runs for each item of one response with the same bindings: bind once.
      if (explained === undefined || bindings === undefined || explained.bindings !== bindings) {
        const env = environmentOf(bindings);
        explained = {
          bindings,
          boosts: boosts.map((boost) => ({
            rule: boost.rule,
            condition: boost.condition?.(env),
            factor: boost.factor(env),
          })),
        };
      }
      const effects: BoostEffect[] = [];
      for (const boost of explained.boosts) {
        const factor = effectOf(boost, item);
        if (factor !== undefined) effects.push({ rule: boost.rule, factor });
      }
      return effects;
    },
  };
}
