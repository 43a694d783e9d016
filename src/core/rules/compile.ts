import type { Item } from '../domain/item.js';
import { isConstant, type ArithmeticOperator, type Expression, type NameNode } from './ast.js';
import type { RuleBindings, RuleValue } from './types.js';
import {
  equals,
  greaterOrEqual,
  greaterThan,
  lessOrEqual,
  lessThan,
  lookup,
  membershipSet,
  type Value,
} from './values.js';

/** The request values a rule is bound to. */
export interface Environment {
  readonly user: Readonly<Record<string, RuleValue>> | undefined;
  readonly context: Readonly<Record<string, RuleValue>> | undefined;
  readonly now: number;
}

/**
 * `bindTo` as a rule's `bind`: per request when the rule reads the request, else once, the
 * same function for every request (a rule on the item alone binds to nothing new).
 */
export function bindingOnceIfItemOnly<F>(
  readsRequest: boolean,
  bindTo: (bindings: RuleBindings | undefined) => F,
): (bindings: RuleBindings | undefined) => F {
  if (readsRequest) return bindTo;
  let shared: F | undefined;
  return () => (shared ??= bindTo(undefined));
}

export function environmentOf(bindings: RuleBindings | undefined): Environment {
  const now = bindings?.now ?? Math.floor(Date.now() / 1000);
  if (bindings === undefined) return { user: undefined, context: undefined, now };
  // Read on use: a caller may build the user's and the context's values lazily.
  return {
    get user() {
      return bindings.user;
    },
    get context() {
      return bindings.context;
    },
    now,
  };
}

/**
 * A node bound to one request: either a constant (nothing item-dependent below it) or a
 * closure over the item. Binding folds everything that reads only user, context and clock.
 */
export type Bound<T> =
  | { readonly constant: true; readonly value: T }
  | { readonly constant: false; readonly fn: (item: Item) => T };

/** A compiled node: built once per rule, called once per `bind`. */
export type Binder<T> = (env: Environment) => Bound<T>;

const constant = <T>(value: T): Bound<T> => ({ constant: true, value });
const dynamic = <T>(fn: (item: Item) => T): Bound<T> => ({ constant: false, fn });
const FOLD_ENVIRONMENT: Environment = { user: undefined, context: undefined, now: 0 };

function map<A, R>(bound: Bound<A>, f: (a: A) => R): Bound<R> {
  if (bound.constant) return constant(f(bound.value));
  const fn = bound.fn;
  return dynamic((item) => f(fn(item)));
}

function combine<A, B, R>(a: Bound<A>, b: Bound<B>, f: (a: A, b: B) => R): Bound<R> {
  if (a.constant && b.constant) return constant(f(a.value, b.value));
  if (a.constant) {
    const left = a.value;
    const right = (b as { fn: (item: Item) => B }).fn;
    return dynamic((item) => f(left, right(item)));
  }
  const left = a.fn;
  if (b.constant) {
    const right = b.value;
    return dynamic((item) => f(left(item), right));
  }
  const right = b.fn;
  return dynamic((item) => f(left(item), right(item)));
}

/** Literal-only subtrees are evaluated here, once, instead of at every bind. */
function folded<T>(node: Expression, binder: Binder<T>): Binder<T> {
  if (!isConstant(node)) return binder;
  const value = binder(FOLD_ENVIRONMENT);
  return () => value;
}

export function compileValue(node: Expression): Binder<Value> {
  return folded(node, valueBinder(node));
}

export function compileCondition(node: Expression): Binder<boolean> {
  return folded(node, conditionBinder(node));
}

function valueBinder(node: Expression): Binder<Value> {
  switch (node.kind) {
    case 'literal': {
      const bound = constant<Value>(node.value);
      return () => bound;
    }
    case 'list': {
      const bound = constant<Value>(Object.freeze(node.elements.map((element) => element.value)));
      return () => bound;
    }
    case 'name':
      return nameBinder(node);
    case 'negate': {
      const operand = compileValue(node.operand);
      return (env) =>
        map(operand(env), (value) => (typeof value === 'number' ? -value : undefined));
    }
    case 'arithmetic': {
      const left = compileValue(node.left);
      const right = compileValue(node.right);
      const operate = ARITHMETIC[node.operator];
      return (env) => combine(left(env), right(env), operate);
    }
    default: {
      const condition = compileCondition(node);
      return (env) => condition(env);
    }
  }
}

const ARITHMETIC: Readonly<Record<ArithmeticOperator, (a: Value, b: Value) => Value>> = {
  '+': (a, b) => (typeof a === 'number' && typeof b === 'number' ? a + b : undefined),
  '-': (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : undefined),
  '*': (a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : undefined),
  '/': (a, b) => (typeof a === 'number' && typeof b === 'number' ? a / b : undefined),
};

const ITEM_FIELD_READERS: Readonly<Record<string, (item: Item) => Value>> = {
  id: (item) => item.id,
  title: (item) => item.title,
  categories: (item) => item.categories,
  tags: (item) => item.tags,
  available: (item) => item.available && !item.hidden,
  // Items keep milliseconds; rules speak unix seconds, like `now`.
  createdAt: (item) => Math.floor(item.createdAt / 1000),
  updatedAt: (item) => Math.floor(item.updatedAt / 1000),
};

function nameBinder(node: NameNode): Binder<Value> {
  switch (node.scope) {
    case 'field': {
      const bound = dynamic(ITEM_FIELD_READERS[node.key]!);
      return () => bound;
    }
    case 'attribute': {
      const key = node.key;
      const bound = dynamic<Value>((item) => {
        const attributes = item.attributes;
        return Object.hasOwn(attributes, key) ? attributes[key] : undefined;
      });
      return () => bound;
    }
    case 'user': {
      const key = node.key;
      return (env) => constant(lookup(env.user, key));
    }
    case 'context': {
      const key = node.key;
      return (env) => constant(lookup(env.context, key));
    }
    case 'now':
      return (env) => constant<Value>(env.now);
  }
}

function conditionBinder(node: Expression): Binder<boolean> {
  switch (node.kind) {
    case 'literal':
    case 'list':
    case 'name':
    case 'negate':
    case 'arithmetic': {
      // A value used as a condition holds only when it is exactly `true`.
      const value = compileValue(node);
      return (env) => map(value(env), (v) => v === true);
    }
    case 'not': {
      const operand = compileCondition(node.operand);
      return (env) => map(operand(env), (v) => !v);
    }
    case 'and':
    case 'or':
      return logicalBinder(node.kind, node.operands.map(compileCondition));
    case 'compare':
      return comparisonBinder(node.operator, compileValue(node.left), compileValue(node.right));
    case 'between': {
      const value = compileValue(node.value);
      const low = compileValue(node.low);
      const high = compileValue(node.high);
      return (env) => {
        const range = combine(low(env), high(env), (a, b): readonly [Value, Value] => [a, b]);
        return combine(value(env), range, (v, [a, b]) => lessOrEqual(a, v) && lessOrEqual(v, b));
      };
    }
    case 'exists':
      return existsBinder(node.target);
    case 'membership': {
      const membership = membershipBinder(node.element, node.list);
      if (node.operator !== 'not in') return membership;
      return (env) => map(membership(env), (v) => !v);
    }
  }
}

function logicalBinder(kind: 'and' | 'or', operands: readonly Binder<boolean>[]): Binder<boolean> {
  // `and` stops at the first false; `or` at the first true.
  const decisive = kind === 'or';
  return (env) => {
    const dynamicParts: ((item: Item) => boolean)[] = [];
    for (const operand of operands) {
      const bound = operand(env);
      if (!bound.constant) dynamicParts.push(bound.fn);
      else if (bound.value === decisive) return constant(decisive);
    }
    const [first, second, third] = dynamicParts;
    if (first === undefined) return constant(!decisive);
    if (second === undefined) return dynamic(first);
    if (kind === 'and') {
      if (third === undefined) return dynamic((item) => first(item) && second(item));
      if (dynamicParts.length === 3)
        return dynamic((item) => first(item) && second(item) && third(item));
      return dynamic((item) => {
        for (const part of dynamicParts) if (!part(item)) return false;
        return true;
      });
    }
    if (third === undefined) return dynamic((item) => first(item) || second(item));
    return dynamic((item) => {
      for (const part of dynamicParts) if (part(item)) return true;
      return false;
    });
  };
}

const ORDERINGS = {
  '<': lessThan,
  '<=': lessOrEqual,
  '>': greaterThan,
  '>=': greaterOrEqual,
} as const;

function comparisonBinder(
  operator: keyof typeof ORDERINGS | '==' | '!=',
  left: Binder<Value>,
  right: Binder<Value>,
): Binder<boolean> {
  if (operator === '==' || operator === '!=') {
    // `!=` is exactly `not ==`: an item without a brand passes `brand != "Acme"`.
    const negate = operator === '!=';
    return (env) => {
      const a = left(env);
      const b = right(env);
      const scalar = a.constant ? a : b;
      const other = a.constant ? b : a;
      if (!other.constant && scalar.constant && !Array.isArray(scalar.value)) {
        const wanted = scalar.value;
        const read = other.fn;
        if (wanted === undefined) return constant(negate);
        return negate
          ? dynamic((item) => read(item) !== wanted)
          : dynamic((item) => read(item) === wanted);
      }
      return combine(a, b, negate ? (x, y) => !equals(x, y) : equals);
    };
  }
  const ordering = ORDERINGS[operator];
  return (env) => {
    const a = left(env);
    const b = right(env);
    if (!a.constant && b.constant && typeof b.value === 'number') {
      return dynamic(numberComparison(operator, a.fn, b.value));
    }
    if (a.constant && !b.constant && typeof a.value === 'number') {
      return dynamic(numberComparison(FLIPPED[operator], b.fn, a.value));
    }
    return combine(a, b, ordering);
  };
}

const FLIPPED = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

/** The common `year >= 1990` shape, one closure per operator so each call site stays monomorphic. */
function numberComparison(
  operator: keyof typeof ORDERINGS,
  read: (item: Item) => Value,
  bound: number,
): (item: Item) => boolean {
  switch (operator) {
    case '<':
      return (item) => {
        const value = read(item);
        return typeof value === 'number' && value < bound;
      };
    case '<=':
      return (item) => {
        const value = read(item);
        return typeof value === 'number' && value <= bound;
      };
    case '>':
      return (item) => {
        const value = read(item);
        return typeof value === 'number' && value > bound;
      };
    case '>=':
      return (item) => {
        const value = read(item);
        return typeof value === 'number' && value >= bound;
      };
  }
}

function membershipBinder(element: Expression, list: Expression): Binder<boolean> {
  const elementBinder = compileValue(element);
  const listBinder = compileValue(list);
  // A literal list becomes a Set once; a bound one (context.exclude) once per bind.
  const literalSet = isConstant(list) ? membershipSet(fold(listBinder)) : undefined;
  return (env) => {
    const boundElement = elementBinder(env);
    const boundList = listBinder(env);
    if (boundList.constant) {
      const set = literalSet ?? membershipSet(boundList.value);
      if (set === undefined) return constant(false);
      if (boundElement.constant) return constant(set.has(boundElement.value as RuleValue));
      // A Set never holds undefined, so a missing element is simply not found.
      const read = boundElement.fn as (item: Item) => RuleValue;
      return dynamic((item) => set.has(read(item)));
    }
    if (boundElement.constant) {
      const wanted = boundElement.value;
      const read = boundList.fn;
      if (wanted === undefined) return constant(false);
      return dynamic((item) => {
        const members = read(item);
        return Array.isArray(members) && members.includes(wanted);
      });
    }
    return combine(
      boundElement,
      boundList,
      (value, members) => value !== undefined && Array.isArray(members) && members.includes(value),
    );
  };
}

function fold(binder: Binder<Value>): Value {
  const bound = binder(FOLD_ENVIRONMENT);
  return bound.constant ? bound.value : undefined;
}

function existsBinder(target: NameNode): Binder<boolean> {
  const key = target.key;
  switch (target.scope) {
    case 'attribute': {
      const bound = dynamic((item: Item) => Object.hasOwn(item.attributes, key));
      return () => bound;
    }
    case 'user':
      return (env) => constant(env.user !== undefined && Object.hasOwn(env.user, key));
    case 'context':
      return (env) => constant(env.context !== undefined && Object.hasOwn(env.context, key));
    default: {
      const always = constant(true);
      return () => always;
    }
  }
}
