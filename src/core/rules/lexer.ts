import { describeLocation, excerpt, MAX_RULE_LENGTH, ruleError } from './rule-error.js';

export type TokenKind = 'number' | 'string' | 'name' | 'keyword' | 'symbol' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The token as written in the source. */
  readonly text: string;
  /** The decoded value of a number or string literal. */
  readonly value: number | string | undefined;
  readonly start: number;
  readonly end: number;
  /** A line break separates this token from the previous one (boosts use it as a separator). */
  readonly newlineBefore: boolean;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'not',
  'in',
  'contains',
  'between',
  'true',
  'false',
  'null',
  'if',
]);

const SYMBOLS = [
  '==',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '(',
  ')',
  '[',
  ']',
  ',',
];
const SINGLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  '0': '\0',
};
/** Operators from other languages, with what to write instead. */
const FOREIGN_OPERATORS: ReadonlyArray<readonly [string, string]> = [
  ['&&', 'and'],
  ['||', 'or'],
  ['!', 'not'],
];

function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || isDigit(code);
}

/** Splits a rule into tokens, ending with one `end` token; throws INVALID_RULE on bad input. */
export function tokenize(source: string): Token[] {
  if (source.length > MAX_RULE_LENGTH) {
    throw ruleError(
      source,
      `the rule is ${source.length} characters long; the limit is ${MAX_RULE_LENGTH}`,
      { position: MAX_RULE_LENGTH, length: source.length - MAX_RULE_LENGTH },
    );
  }
  const tokens: Token[] = [];
  let index = 0;
  let newlineBefore = false;

  function fail(message: string, position: number, length: number, found?: string): never {
    throw ruleError(source, `${message} at ${describeLocation(source, position)}`, {
      position,
      length,
      found,
    });
  }
  const push = (kind: TokenKind, start: number, value?: number | string): void => {
    tokens.push({
      kind,
      text: source.slice(start, index),
      value,
      start,
      end: index,
      newlineBefore,
    });
    newlineBefore = false;
  };

  const readNumber = (start: number): void => {
    while (isDigit(source.charCodeAt(index))) index++;
    if (source[index] === '.') {
      index++;
      if (!isDigit(source.charCodeAt(index)))
        fail(`expected a digit after "${source.slice(start, index)}"`, index, 0);
      while (isDigit(source.charCodeAt(index))) index++;
    }
    if (source[index] === 'e' || source[index] === 'E') {
      index++;
      if (source[index] === '+' || source[index] === '-') index++;
      if (!isDigit(source.charCodeAt(index)))
        fail(`expected the digits of an exponent after "${source.slice(start, index)}"`, index, 0);
      while (isDigit(source.charCodeAt(index))) index++;
    }
    const value = Number(source.slice(start, index));
    if (!Number.isFinite(value))
      fail(`the number ${excerpt(source.slice(start, index))} is too large`, start, index - start);
    push('number', start, value);
  };

  const readString = (start: number, quote: string): void => {
    let value = '';
    index++;
    for (;;) {
      const char = source[index];
      if (char === undefined || char === '\n' || char === '\r')
        fail('this string has no closing quote', start, index - start);
      if (char === quote) break;
      if (char !== '\\') {
        value += char;
        index++;
        continue;
      }
      const escape = source[index + 1];
      const single = escape === undefined ? undefined : SINGLE_ESCAPES[escape];
      if (single !== undefined) {
        value += single;
        index += 2;
      } else if (escape === 'u') {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(source.slice(index + 2, index + 11));
        const plain = /^[0-9a-fA-F]{4}/.exec(source.slice(index + 2, index + 6));
        const hex = braced?.[1] ?? plain?.[0];
        const codePoint = hex === undefined ? Number.NaN : Number.parseInt(hex, 16);
        if (!(codePoint <= 0x10ffff))
          fail('"\\u" needs four hex digits or {hex} up to 10FFFF', index, 2);
        value += String.fromCodePoint(codePoint);
        index += 2 + (braced ? braced[0].length : 4);
      } else {
        fail(`unknown escape "\\${escape ?? ''}" in a string`, index, escape === undefined ? 1 : 2);
      }
    }
    index++;
    push('string', start, value);
  };

  while (index < source.length) {
    const code = source.charCodeAt(index);
    const char = source[index]!;
    if (char === '\n' || char === '\r') {
      newlineBefore = true;
      index++;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\f' || char === '\v' || char === '\u00a0') {
      index++;
      continue;
    }
    if (char === '#') {
      while (index < source.length && source[index] !== '\n' && source[index] !== '\r') index++;
      continue;
    }
    const start = index;
    if (isDigit(code)) {
      readNumber(start);
      continue;
    }
    if (char === '"' || char === "'") {
      readString(start, char);
      continue;
    }
    if (isIdentifierStart(code)) {
      while (isIdentifierPart(source.charCodeAt(index))) index++;
      push(KEYWORDS.has(source.slice(start, index)) ? 'keyword' : 'name', start);
      continue;
    }
    if (char === '.' || char === ';') {
      index++;
      push('symbol', start);
      continue;
    }
    const foreign = FOREIGN_OPERATORS.find(
      ([text]) => source.startsWith(text, index) && !source.startsWith('!=', index),
    );
    if (foreign)
      fail(
        `"${foreign[0]}" is not an operator here; write "${foreign[1]}"`,
        start,
        foreign[0].length,
      );
    const symbol = SYMBOLS.find((text) => source.startsWith(text, index));
    if (symbol) {
      index += symbol.length;
      push('symbol', start);
      continue;
    }
    const unknown = String.fromCodePoint(source.codePointAt(index)!);
    fail(`unexpected character "${unknown}"`, start, unknown.length, `"${unknown}"`);
  }
  push('end', index);
  return tokens;
}
