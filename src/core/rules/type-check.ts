import { ITEM_FIELDS, type BoostNode, type Expression, type NameNode } from './ast.js';
import { describeLocation, excerpt, ruleError } from './rule-error.js';

/**
 * What a rule knows about a value before it runs. Built-in fields and literals have a
 * known type; attributes (item, user, context) are `any` and checked when the rule runs.
 */
export type RuleType =
  | 'number'
  | 'string'
  | 'boolean'
  | 'null'
  | 'any'
  | 'list<number>'
  | 'list<string>'
  | 'list<boolean>'
  | 'list<any>';

const DESCRIPTIONS: Readonly<Record<RuleType, string>> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  null: 'null',
  any: 'a value',
  'list<number>': 'a list of numbers',
  'list<string>': 'a list of strings',
  'list<boolean>': 'a list of true/false values',
  'list<any>': 'a list',
};

export function describeType(type: RuleType): string {
  return DESCRIPTIONS[type];
}

function isList(type: RuleType): boolean {
  return type.startsWith('list<');
}

function elementOf(type: RuleType): RuleType {
  return isList(type) ? (type.slice(5, -1) as RuleType) : 'any';
}

function isScalar(type: RuleType): boolean {
  return type === 'number' || type === 'string' || type === 'boolean';
}

/** Whether values of these types can ever be equal. */
function comparable(a: RuleType, b: RuleType): boolean {
  if (a === 'any' || b === 'any') return true;
  if (isList(a) && isList(b)) return comparable(elementOf(a), elementOf(b));
  return a === b;
}

function orderable(type: RuleType): boolean {
  return type === 'number' || type === 'string' || type === 'any';
}

function nameType(node: NameNode): RuleType {
  switch (node.scope) {
    case 'field':
      return ITEM_FIELDS[node.key];
    case 'now':
      return 'number';
    case 'user':
      return node.key === 'id' ? 'string' : 'any';
    default:
      return 'any';
  }
}

/** Walks the tree once and throws INVALID_RULE at the first operand of the wrong type. */
class TypeChecker {
  constructor(private readonly source: string) {}

  typeOf(node: Expression): RuleType {
    switch (node.kind) {
      case 'literal':
        return node.value === null
          ? 'null'
          : (typeof node.value as 'number' | 'string' | 'boolean');
      case 'list': {
        const types = new Set(node.elements.map((element) => this.typeOf(element)));
        const [only] = types;
        return types.size === 1 && only !== 'null' && only !== undefined
          ? (`list<${only}>` as RuleType)
          : 'list<any>';
      }
      case 'name':
        return nameType(node);
      case 'exists':
        return 'boolean';
      case 'not':
        this.condition(node.operand, '"not"');
        return 'boolean';
      case 'and':
      case 'or':
        for (const operand of node.operands) this.condition(operand, `"${node.kind}"`);
        return 'boolean';
      case 'negate':
        this.number(node.operand, '"-"');
        return 'number';
      case 'arithmetic':
        this.number(node.left, `"${node.operator}"`);
        this.number(node.right, `"${node.operator}"`);
        return 'number';
      case 'compare':
        this.comparison(node.operator, node.left, node.right);
        return 'boolean';
      case 'between': {
        const what = '"between"';
        this.comparison(what, node.value, node.low);
        this.comparison(what, node.value, node.high);
        return 'boolean';
      }
      case 'membership':
        this.membership(node.operator, node.element, node.list);
        return 'boolean';
    }
  }

  condition(node: Expression, context: string): void {
    const type = this.typeOf(node);
    if (type !== 'boolean' && type !== 'any') {
      this.fail(node, `${context} needs a condition (true or false)`, 'a condition', type);
    }
  }

  number(node: Expression, context: string): void {
    const type = this.typeOf(node);
    if (type !== 'number' && type !== 'any')
      this.fail(node, `${context} needs a number`, 'a number', type);
  }

  private comparison(operator: string, left: Expression, right: Expression): void {
    const leftType = this.typeOf(left);
    const rightType = this.typeOf(right);
    const quotedOperator = operator.startsWith('"') ? operator : `"${operator}"`;
    if (operator !== '==' && operator !== '!=') {
      for (const [node, type] of [
        [left, leftType],
        [right, rightType],
      ] as const) {
        if (!orderable(type)) {
          this.fail(
            node,
            `${quotedOperator} compares numbers or strings`,
            'a number or a string',
            type,
          );
        }
      }
    }
    if (!comparable(leftType, rightType)) {
      this.fail(
        right,
        `${quotedOperator} needs both sides of one type, but ${this.text(left)} is ${describeType(leftType)}`,
        describeType(leftType),
        rightType,
      );
    }
  }

  private membership(operator: string, element: Expression, list: Expression): void {
    const elementType = this.typeOf(element);
    const listType = this.typeOf(list);
    const listSide = operator === 'contains' ? 'left' : 'right';
    if (!isList(listType) && listType !== 'any') {
      this.fail(
        list,
        `"${operator}" needs a list on its ${listSide} (it tests list membership, not text)`,
        'a list',
        listType,
      );
    }
    if (!isScalar(elementType) && elementType !== 'any' && elementType !== 'null') {
      this.fail(
        element,
        `"${operator}" looks for a single value in a list`,
        'a single value',
        elementType,
      );
    }
    if (!comparable(elementType, elementOf(listType))) {
      this.fail(
        element,
        `${this.text(list)} holds ${describeType(listType).replace('a list of ', '')}, so ${describeType(elementType)} is never in it`,
        describeType(elementOf(listType)),
        elementType,
      );
    }
  }

  private text(node: Expression): string {
    return excerpt(this.source.slice(node.start, node.end));
  }

  fail(node: Expression, problem: string, expected: string, found: RuleType): never {
    const foundText = `${describeType(found)} (${this.text(node)})`;
    throw ruleError(
      this.source,
      `${problem} at ${describeLocation(this.source, node.start)}, found ${foundText}`,
      { position: node.start, length: node.end - node.start, expected, found: foundText },
    );
  }
}

export function checkFilter(source: string, expression: Expression): void {
  const checker = new TypeChecker(source);
  checker.condition(expression, 'a filter');
}

export function checkBoosts(source: string, boosts: readonly BoostNode[]): void {
  const checker = new TypeChecker(source);
  for (const boost of boosts) {
    checker.number(boost.factor, 'a boost factor');
    if (boost.condition) checker.condition(boost.condition, '"if"');
  }
}
