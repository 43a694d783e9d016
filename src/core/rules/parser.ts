import {
  ITEM_FIELDS,
  type ArithmeticOperator,
  type BoostNode,
  type ComparisonOperator,
  type Expression,
  type ItemField,
  type LiteralNode,
  type MembershipOperator,
  type NameNode,
} from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { describeLocation, excerpt, MAX_RULE_DEPTH, ruleError } from './rule-error.js';

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['==', '=', '!=', '<', '<=', '>', '>=']);
const SCOPED_ROOTS: ReadonlySet<string> = new Set(['user', 'context', 'attributes']);
const BOOST_EXAMPLE = 'a boost such as "boost(2) if price < 20"';

/** How a token reads in "found ..." */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of input';
    case 'name':
      return `the name "${excerpt(token.text)}"`;
    case 'number':
      return `the number ${excerpt(token.text)}`;
    case 'string':
      return `the string ${excerpt(token.text)}`;
    default:
      return `"${token.text}"`;
  }
}

function quoted(token: Token): string {
  return token.kind === 'string' ? excerpt(token.text) : `"${excerpt(token.text)}"`;
}

function isItemField(name: string): name is ItemField {
  return Object.hasOwn(ITEM_FIELDS, name);
}

/** Recursive descent, one function per precedence level; see docs/rules.md for the grammar. */
class Parser {
  private index = 0;
  private nesting = 0;
  private readonly tokens: readonly Token[];

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parseFilter(): Expression {
    const expression = this.parseExpression('a condition');
    if (this.peek().kind !== 'end') this.fail('an operator or the end of the filter');
    return expression;
  }

  parseBoosts(): BoostNode[] {
    const boosts: BoostNode[] = [];
    let separated = true;
    for (;;) {
      while (this.is(';')) {
        this.index++;
        separated = true;
      }
      if (this.peek().kind === 'end') break;
      if (!separated && !this.peek().newlineBefore) {
        const last = boosts[boosts.length - 1];
        this.fail(last?.condition ? 'an operator, ";" or a new line' : '"if", ";" or a new line');
      }
      boosts.push(this.parseBoost());
      separated = false;
    }
    if (boosts.length === 0) this.fail(BOOST_EXAMPLE);
    return boosts;
  }

  private parseBoost(): BoostNode {
    const keyword = this.peek();
    if (keyword.kind !== 'name' || keyword.text !== 'boost') this.fail(BOOST_EXAMPLE);
    this.index++;
    this.expect('(');
    this.enter(keyword);
    const factor = this.parseExpression('a boost factor');
    this.expect(')');
    this.nesting--;
    let condition: Expression | undefined;
    if (this.is('if')) {
      this.index++;
      condition = this.parseExpression('a condition');
    }
    return { factor, condition, start: keyword.start, end: this.previous().end };
  }

  private parseExpression(expected: string): Expression {
    return this.parseLogical('or', expected);
  }

  private parseLogical(kind: 'or' | 'and', expected: string): Expression {
    const parseOperand = (what: string): Expression =>
      kind === 'or' ? this.parseLogical('and', what) : this.parseNot(what);
    const first = parseOperand(expected);
    if (!this.is(kind)) return first;
    const operands = [first];
    while (this.is(kind)) {
      this.index++;
      operands.push(parseOperand('a condition'));
    }
    const depth = 1 + Math.max(...operands.map((operand) => operand.depth));
    return this.node({ kind, operands, start: first.start, end: this.previous().end, depth });
  }

  private parseNot(expected: string): Expression {
    const keyword = this.peek();
    if (!this.is('not')) return this.parseComparison(expected);
    this.index++;
    this.enter(keyword);
    const operand = this.parseNot('a condition');
    this.nesting--;
    return this.node({
      kind: 'not',
      operand,
      start: keyword.start,
      end: operand.end,
      depth: operand.depth + 1,
    });
  }

  private parseComparison(expected: string): Expression {
    const left = this.parseAdditive(expected);
    const operator = this.peek();
    let node: Expression;
    if (operator.kind === 'symbol' && COMPARISON_OPERATORS.has(operator.text)) {
      this.index++;
      const right = this.parseAdditive('a value');
      const text = operator.text === '=' ? '==' : (operator.text as ComparisonOperator);
      node = this.binary({ kind: 'compare', operator: text, left, right });
    } else if (this.is('in') || this.is('contains') || this.is('not')) {
      this.index++;
      let membership: MembershipOperator = operator.text === 'contains' ? 'contains' : 'in';
      if (operator.text === 'not') {
        if (!this.is('in')) this.fail('"in"');
        this.index++;
        membership = 'not in';
      }
      const right = this.parseAdditive(membership === 'contains' ? 'a value' : 'a list');
      const [element, list] = membership === 'contains' ? [right, left] : [left, right];
      node = this.node({
        kind: 'membership',
        operator: membership,
        element,
        list,
        start: left.start,
        end: right.end,
        depth: 1 + Math.max(left.depth, right.depth),
      });
    } else if (this.is('between')) {
      this.index++;
      const low = this.parseAdditive('a value');
      if (!this.is('and')) this.fail('"and" (between LOW and HIGH)');
      this.index++;
      const high = this.parseAdditive('a value');
      node = this.node({
        kind: 'between',
        value: left,
        low,
        high,
        start: left.start,
        end: high.end,
        depth: 1 + Math.max(left.depth, low.depth, high.depth),
      });
    } else {
      return left;
    }
    const chained = this.peek();
    if (
      (chained.kind === 'symbol' && COMPARISON_OPERATORS.has(chained.text)) ||
      this.is('in') ||
      this.is('contains') ||
      this.is('between') ||
      (this.is('not') && this.peek(1).kind === 'keyword' && this.peek(1).text === 'in')
    ) {
      this.failWith(
        `comparisons cannot be chained; join them with "and" at ${describeLocation(this.source, chained.start)}`,
        chained,
      );
    }
    return node;
  }

  private parseAdditive(expected: string): Expression {
    let left = this.parseMultiplicative(expected);
    while (this.is('+') || this.is('-')) {
      const operator = this.next().text as ArithmeticOperator;
      const right = this.parseMultiplicative('a value');
      left = this.binary({ kind: 'arithmetic', operator, left, right });
    }
    return left;
  }

  private parseMultiplicative(expected: string): Expression {
    let left = this.parseUnary(expected);
    while (this.is('*') || this.is('/')) {
      const operator = this.next().text as ArithmeticOperator;
      const right = this.parseUnary('a value');
      left = this.binary({ kind: 'arithmetic', operator, left, right });
    }
    return left;
  }

  private parseUnary(expected: string): Expression {
    const minus = this.peek();
    if (!this.is('-')) return this.parsePrimary(expected);
    this.index++;
    this.enter(minus);
    const operand = this.parseUnary('a value');
    this.nesting--;
    if (operand.kind === 'literal' && typeof operand.value === 'number') {
      return {
        kind: 'literal',
        value: -operand.value,
        start: minus.start,
        end: operand.end,
        depth: 1,
      };
    }
    return this.node({
      kind: 'negate',
      operand,
      start: minus.start,
      end: operand.end,
      depth: operand.depth + 1,
    });
  }

  private parsePrimary(expected: string): Expression {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
      case 'string':
        this.index++;
        return this.literal(token, token.value!);
      case 'name':
        // A boost on the next line where an operand should be: report the missing operand.
        if (token.text === 'boost' && this.peek(1).text === '(') break;
        this.index++;
        return this.parseName(token);
      case 'keyword':
        if (token.text === 'true' || token.text === 'false' || token.text === 'null') {
          this.index++;
          return this.literal(token, token.text === 'null' ? null : token.text === 'true');
        }
        break;
      case 'symbol':
        if (token.text === '(') {
          this.index++;
          this.enter(token);
          const inner = this.parseExpression('a value');
          this.expect(')');
          this.nesting--;
          return inner;
        }
        if (token.text === '[') return this.parseList(token);
        break;
      case 'end':
        break;
    }
    return this.fail(expected);
  }

  private parseList(open: Token): Expression {
    this.index++;
    this.enter(open);
    const elements: LiteralNode[] = [];
    if (!this.is(']')) {
      for (;;) {
        const element = this.parseUnary('a value');
        if (element.kind !== 'literal') {
          this.failWith(
            `list elements must be numbers, strings, true, false or null at ${describeLocation(this.source, element.start)}`,
            { start: element.start, end: element.end },
          );
        }
        elements.push(element);
        if (!this.is(',')) break;
        this.index++;
      }
    }
    this.expect(']');
    this.nesting--;
    return { kind: 'list', elements, start: open.start, end: this.previous().end, depth: 2 };
  }

  private parseName(token: Token): Expression {
    const name = token.text;
    if (this.is('(')) {
      if (name === 'exists') return this.parseExists(token);
      this.failWith(
        `unknown function "${excerpt(name)}" at ${describeLocation(this.source, token.start)}; the only function is exists(name)`,
        token,
      );
    }
    let node: NameNode;
    if (SCOPED_ROOTS.has(name)) {
      const key = this.parseKey(token);
      const scope = name === 'attributes' ? 'attribute' : (name as 'user' | 'context');
      node = { kind: 'name', scope, key, start: token.start, end: this.previous().end, depth: 1 };
    } else if (name === 'now') {
      node = {
        kind: 'name',
        scope: 'now',
        key: 'now',
        start: token.start,
        end: token.end,
        depth: 1,
      };
    } else if (isItemField(name)) {
      node = {
        kind: 'name',
        scope: 'field',
        key: name,
        start: token.start,
        end: token.end,
        depth: 1,
      };
    } else {
      node = {
        kind: 'name',
        scope: 'attribute',
        key: name,
        start: token.start,
        end: token.end,
        depth: 1,
      };
    }
    if (this.is('.') || this.is('[')) {
      const written = this.source.slice(node.start, node.end);
      this.failWith(
        `"${excerpt(written)}" has no fields at ${describeLocation(this.source, this.peek().start)}; only attributes, user and context take a name after "."`,
        this.peek(),
      );
    }
    return node;
  }

  /** The attribute name after `user`, `context` or `attributes`: `.name` or `["any text"]`. */
  private parseKey(root: Token): string {
    if (this.is('.')) {
      this.index++;
      const key = this.peek();
      if (key.kind !== 'name' && key.kind !== 'keyword') this.fail(`a name after "${root.text}."`);
      this.index++;
      return key.text;
    }
    if (this.is('[')) {
      this.index++;
      const key = this.peek();
      if (key.kind !== 'string') this.fail('a quoted name');
      this.index++;
      this.expect(']');
      return key.value as string;
    }
    return this.fail(`"." and a name after "${root.text}"`);
  }

  private parseExists(keyword: Token): Expression {
    this.index++;
    this.enter(keyword);
    const target = this.peek();
    if (target.kind !== 'name') this.fail('a name inside exists(...)');
    this.index++;
    const name = this.parseName(target);
    if (name.kind !== 'name') this.fail('a name inside exists(...)');
    this.expect(')');
    this.nesting--;
    return {
      kind: 'exists',
      target: name,
      start: keyword.start,
      end: this.previous().end,
      depth: 2,
    };
  }

  private literal(token: Token, value: string | number | boolean | null): LiteralNode {
    return { kind: 'literal', value, start: token.start, end: token.end, depth: 1 };
  }

  private binary<T extends { left: Expression; right: Expression; kind: 'compare' | 'arithmetic' }>(
    parts: T,
  ): Expression {
    return this.node({
      ...parts,
      start: parts.left.start,
      end: parts.right.end,
      depth: 1 + Math.max(parts.left.depth, parts.right.depth),
    } as unknown as Expression);
  }

  /** Every composite node passes here, so no pass after the parser recurses past the limit. */
  private node<T extends Expression>(node: T): T {
    if (node.depth > MAX_RULE_DEPTH) this.tooDeep(node.start, node.end - node.start);
    return node;
  }

  private enter(token: Token): void {
    if (++this.nesting > MAX_RULE_DEPTH) this.tooDeep(token.start, token.end - token.start);
  }

  private tooDeep(position: number, length: number): never {
    throw ruleError(
      this.source,
      `the rule nests more than ${MAX_RULE_DEPTH} levels deep at ${describeLocation(this.source, position)}`,
      { position, length },
    );
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private previous(): Token {
    return this.tokens[this.index - 1]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  private is(text: string): boolean {
    const token = this.peek();
    return (token.kind === 'symbol' || token.kind === 'keyword') && token.text === text;
  }

  private expect(text: string): void {
    if (!this.is(text)) this.fail(`"${text}"`);
    this.index++;
  }

  /** "expected X after Y at column N, found Z", pointing at the token found. */
  private fail(expected: string): never {
    const found = this.peek();
    const after = this.index > 0 ? ` after ${quoted(this.previous())}` : '';
    const where = describeLocation(this.source, found.start);
    const foundText = describeToken(found);
    throw ruleError(this.source, `expected ${expected}${after} at ${where}, found ${foundText}`, {
      position: found.start,
      length: found.end - found.start,
      expected,
      found: foundText,
    });
  }

  private failWith(message: string, span: { start: number; end: number }): never {
    throw ruleError(this.source, message, { position: span.start, length: span.end - span.start });
  }
}

export function parseFilter(source: string): Expression {
  return new Parser(source).parseFilter();
}

export function parseBoosts(source: string): BoostNode[] {
  return new Parser(source).parseBoosts();
}
