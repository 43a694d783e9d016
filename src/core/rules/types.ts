import type { Item } from '../domain/item.js';

/** A value a rule can hold: what item, user and context attributes are made of. */
export type RuleValue = string | number | boolean | null | readonly RuleValue[];

export interface RuleBindings {
  /** The user's attributes (and `id`), when a user is known. */
  readonly user?: Readonly<Record<string, RuleValue>> | undefined;
  /** The request context: `exclude`, `scenario`, anything the caller passes. */
  readonly context?: Readonly<Record<string, RuleValue>> | undefined;
  /** Unix seconds; defaults to the time of `bind`. */
  readonly now?: number | undefined;
}

export interface CompiledFilter {
  readonly source: string;
  /** Categories every passing item carries (its `"X" in categories` clauses joined by `and`). */
  readonly requiredCategories: readonly string[];
  /** Binds request values once; the returned predicate is called per candidate item. */
  bind(bindings?: RuleBindings): (item: Item) => boolean;
}

export interface BoostEffect {
  readonly rule: string;
  readonly factor: number;
}

export interface CompiledBoosts {
  readonly source: string;
  /** Product of the factors of every boost whose condition holds (1 when none). */
  bind(bindings?: RuleBindings): (item: Item) => number;
  /** For explain=true: which boosts applied to this item. */
  explain(item: Item, bindings?: RuleBindings): readonly BoostEffect[];
}
