/** Where a node sits in the source: `start` inclusive, `end` exclusive, 0-based. */
export interface Span {
  readonly start: number;
  readonly end: number;
  /** Levels of nodes from here down; bounded so every recursive pass stays shallow. */
  readonly depth: number;
}

export type Scalar = string | number | boolean | null;

export interface LiteralNode extends Span {
  readonly kind: 'literal';
  readonly value: Scalar;
}

export interface ListNode extends Span {
  readonly kind: 'list';
  readonly elements: readonly LiteralNode[];
}

/** Item fields every item has, with their rule types. */
export const ITEM_FIELDS = {
  id: 'string',
  title: 'string',
  categories: 'list<string>',
  tags: 'list<string>',
  available: 'boolean',
  createdAt: 'number',
  updatedAt: 'number',
} as const;
export type ItemField = keyof typeof ITEM_FIELDS;

export type NameNode = Span & { readonly kind: 'name' } & (
    | { readonly scope: 'field'; readonly key: ItemField }
    | { readonly scope: 'attribute' | 'user' | 'context'; readonly key: string }
    | { readonly scope: 'now'; readonly key: 'now' }
  );

export interface ExistsNode extends Span {
  readonly kind: 'exists';
  readonly target: NameNode;
}

export interface NotNode extends Span {
  readonly kind: 'not';
  readonly operand: Expression;
}

export interface NegateNode extends Span {
  readonly kind: 'negate';
  readonly operand: Expression;
}

/** `and` / `or` chains are flat, so a long list of clauses adds no depth. */
export interface LogicalNode extends Span {
  readonly kind: 'and' | 'or';
  readonly operands: readonly Expression[];
}

export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface ComparisonNode extends Span {
  readonly kind: 'compare';
  readonly operator: ComparisonOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export type MembershipOperator = 'in' | 'not in' | 'contains';

/** `element in list`, `element not in list`, `list contains element`. */
export interface MembershipNode extends Span {
  readonly kind: 'membership';
  readonly operator: MembershipOperator;
  readonly element: Expression;
  readonly list: Expression;
}

export interface BetweenNode extends Span {
  readonly kind: 'between';
  readonly value: Expression;
  readonly low: Expression;
  readonly high: Expression;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/';

export interface ArithmeticNode extends Span {
  readonly kind: 'arithmetic';
  readonly operator: ArithmeticOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export type Expression =
  | LiteralNode
  | ListNode
  | NameNode
  | ExistsNode
  | NotNode
  | NegateNode
  | LogicalNode
  | ComparisonNode
  | MembershipNode
  | BetweenNode
  | ArithmeticNode;

export interface BoostNode {
  readonly factor: Expression;
  readonly condition: Expression | undefined;
  readonly start: number;
  readonly end: number;
}

/** Whether a node reads no item, user, context or clock, so it can be folded once. */
export function isConstant(node: Expression): boolean {
  return !someName(node, () => true);
}

/** Whether the expression reads the request (user, context or clock), not the item alone. */
export function readsRequest(node: Expression): boolean {
  return someName(
    node,
    (name) => name.scope === 'user' || name.scope === 'context' || name.scope === 'now',
  );
}

/** Whether any name below `node` passes `test` (an `exists` counts the name it tests). */
function someName(node: Expression, test: (name: NameNode) => boolean): boolean {
  const some = (child: Expression): boolean => someName(child, test);
  switch (node.kind) {
    case 'literal':
    case 'list':
      return false;
    case 'name':
      return test(node);
    case 'exists':
      return test(node.target);
    case 'not':
    case 'negate':
      return some(node.operand);
    case 'and':
    case 'or':
      return node.operands.some(some);
    case 'compare':
    case 'arithmetic':
      return some(node.left) || some(node.right);
    case 'membership':
      return some(node.element) || some(node.list);
    case 'between':
      return some(node.value) || some(node.low) || some(node.high);
  }
}
