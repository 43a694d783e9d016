import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemFromInput, type Item, type ItemInput } from '../domain/item.js';
import {
  compileBoosts,
  compileFilter,
  MAX_RULE_DEPTH,
  MAX_RULE_LENGTH,
  RuleCache,
  type RuleBindings,
  RuleError,
} from './index.js';

const CREATED_MS = 1_700_000_000_500;
const UPDATED_MS = 1_700_000_100_999;

function item(input: Partial<ItemInput> & { hidden?: boolean } = {}): Item {
  return itemFromInput({ id: 'heat', ...input }, CREATED_MS, UPDATED_MS);
}

const heat = item({
  id: 'heat',
  title: 'Heat',
  categories: ['Crime', 'Drama'],
  tags: ['heist', 'la'],
  attributes: { year: 1995, price: 12.5, studio: 'Warner', labels: ['classic', 'long'], hd: true },
});
const airplane = item({
  id: 'airplane',
  title: 'Airplane!',
  categories: ['Comedy'],
  attributes: { year: 1980, price: 25 },
});
const untitled = item({ id: 'untitled' });

function holds(source: string, target: Item, bindings?: RuleBindings): boolean {
  return compileFilter(source).bind(bindings)(target);
}

interface ExpectedProblem {
  readonly position: number;
  readonly line?: number;
  readonly column: number;
  readonly length: number;
  readonly expected?: string;
  readonly found?: string;
  readonly message?: string | RegExp;
  /** The source echoed in the details, when it differs from the rule compiled. */
  readonly source?: string;
}

function assertRuleError(compile: () => unknown, problem: ExpectedProblem, source: string): void {
  assert.throws(compile, (error: unknown) => {
    assert.ok(error instanceof RuleError, `not a RuleError: ${String(error)}`);
    assert.equal(error.code, 'INVALID_RULE');
    const details = error.details;
    assert.equal(details['position'], problem.position, `position in: ${error.message}`);
    assert.equal(details['line'], problem.line ?? 1, `line in: ${error.message}`);
    assert.equal(details['column'], problem.column, `column in: ${error.message}`);
    assert.equal(details['length'], problem.length, `length in: ${error.message}`);
    assert.equal(details['source'], problem.source ?? source);
    if (problem.expected !== undefined) assert.equal(details['expected'], problem.expected);
    if (problem.found !== undefined) assert.equal(details['found'], problem.found);
    if (typeof problem.message === 'string') assert.equal(error.message, problem.message);
    else if (problem.message) assert.match(error.message, problem.message);
    return true;
  });
}

function assertFilterError(source: string, problem: ExpectedProblem): void {
  assertRuleError(() => compileFilter(source), problem, source);
}

function assertBoostsError(source: string, problem: ExpectedProblem): void {
  assertRuleError(() => compileBoosts(source), problem, source);
}

test('the filter example keeps dramas from 1990 on that the request does not exclude', () => {
  const filter = compileFilter(
    '"Drama" in categories and year >= 1990 and not (id in context.exclude)',
  );
  const keep = filter.bind({ context: { exclude: ['other'] } });
  assert.equal(keep(heat), true);
  assert.equal(keep(airplane), false, 'not a drama');
  assert.equal(keep(item({ categories: ['Drama'], attributes: { year: 1985 } })), false);
  assert.equal(filter.bind({ context: { exclude: ['heat', 'x'] } })(heat), false, 'excluded');
  assert.equal(filter.bind()(heat), true, 'no exclude list excludes nothing');
  assert.equal(
    filter.source,
    '"Drama" in categories and year >= 1990 and not (id in context.exclude)',
  );
});

test('the boost examples multiply the factors of the boosts whose condition holds', () => {
  const cheap = compileBoosts('boost(2.0) if price < 20').bind();
  assert.equal(cheap(heat), 2);
  assert.equal(cheap(airplane), 1);
  assert.equal(cheap(untitled), 1, 'no price: the boost does not apply');

  for (const source of [
    'boost(2) if "Comedy" in categories; boost(0.5) if year < 1980',
    'boost(2) if "Comedy" in categories\nboost(0.5) if year < 1980',
    '\n  boost(2) if "Comedy" in categories ;\r\n\n boost(0.5) if year < 1980;\n',
  ]) {
    const boosts = compileBoosts(source).bind();
    assert.equal(boosts(airplane), 2, source);
    assert.equal(boosts(item({ categories: ['Comedy'], attributes: { year: 1970 } })), 1, source);
    assert.equal(boosts(item({ attributes: { year: 1970 } })), 0.5, source);
    assert.equal(boosts(heat), 1, source);
  }

  const always = compileBoosts('boost(1.2)').bind();
  assert.equal(always(heat), 1.2);
  assert.equal(always(untitled), 1.2);
});

test('item fields: id, title, categories, tags, available, createdAt and updatedAt', () => {
  assert.equal(holds('id == "heat"', heat), true);
  assert.equal(holds('title = "Heat"', heat), true);
  assert.equal(holds('title == "Heat"', airplane), false);
  assert.equal(holds('categories == ["Crime", "Drama"]', heat), true);
  assert.equal(holds('categories == ["Drama", "Crime"]', heat), false, 'lists compare in order');
  assert.equal(holds('"heist" in tags', heat), true);
  assert.equal(holds('tags contains "la"', heat), true);
  assert.equal(holds('available', heat), true);
  assert.equal(holds('available', item({ available: false })), false);
  assert.equal(holds('available', item({ hidden: true })), false, 'hidden is not available');
  assert.equal(holds('not available', item({ hidden: true })), true);
  // Items keep milliseconds; rules see unix seconds.
  assert.equal(holds('createdAt == 1700000000', heat), true);
  assert.equal(holds('updatedAt == 1700000100', heat), true);
  assert.equal(holds('updatedAt - createdAt == 100', heat), true);
});

test('attributes by bare name, as attributes.name and as attributes["any text"]', () => {
  const odd = item({ attributes: { 'release year': 2001, in: 'keyword', id: 'attr-id', year: 1 } });
  assert.equal(holds('year == 1995', heat), true);
  assert.equal(holds('attributes.year == 1995', heat), true);
  assert.equal(holds('studio == "Warner" and hd', heat), true);
  assert.equal(holds('"classic" in labels', heat), true);
  assert.equal(holds('attributes.labels contains "long"', heat), true);
  assert.equal(holds('attributes["release year"] > 2000', odd), true);
  assert.equal(holds('attributes.in == "keyword"', odd), true, 'a keyword after "." is a name');
  assert.equal(holds('id == "heat" and attributes.id == "attr-id"', odd), true, 'fields win');
});

test('user and context bindings, user.id and now', () => {
  const bindings: RuleBindings = {
    user: { id: 'alice', country: 'FR', age: 34, genres: ['Drama', 'Noir'] },
    context: { scenario: 'home', exclude: ['airplane'], limit: 3 },
    now: 1_700_000_050,
  };
  assert.equal(holds('user.id == "alice"', heat, bindings), true);
  assert.equal(holds('user.country == "FR" and user.age >= 18', heat, bindings), true);
  assert.equal(holds('"Noir" in user.genres', heat, bindings), true);
  assert.equal(holds('user["country"] != "DE"', heat, bindings), true);
  assert.equal(holds('context.scenario == "home"', heat, bindings), true);
  assert.equal(holds('context["scenario"] == "work"', heat, bindings), false);
  assert.equal(holds('now - createdAt == 50', heat, bindings), true);
  assert.equal(holds('createdAt < now', heat, bindings), true);
  assert.equal(holds('createdAt > now', heat, bindings), false);
  assert.equal(holds('user.country == "FR"', heat), false, 'no user: the comparison is false');
  assert.equal(holds('context.scenario == "home"', heat, { user: bindings.user }), false);
});

test('now defaults to the time of bind, in unix seconds', () => {
  const before = Math.floor(Date.now() / 1000);
  const recent = compileFilter('now >= createdAt and now - 5 <= createdAt');
  const at = (seconds: number): Item =>
    itemFromInput({ id: 'fresh' }, seconds * 1000, seconds * 1000);
  assert.equal(recent.bind()(at(before)), true);
  assert.equal(recent.bind()(at(before - 3600)), false);
});

test('comparison operators on numbers and strings', () => {
  const cases: Array<[string, boolean]> = [
    ['year == 1995', true],
    ['year = 1995', true],
    ['year != 1995', false],
    ['year != 1996', true],
    ['year < 1996', true],
    ['year < 1995', false],
    ['year <= 1995', true],
    ['year > 1994', true],
    ['year > 1995', false],
    ['year >= 1995', true],
    ['1996 > year', true],
    ['1995 <= year', true],
    ['studio < "Xyz"', true],
    ['studio > "Warner"', false],
    ['studio >= "Warner"', true],
    ['"Warner" == studio', true],
    ['price between 10 and 15', true],
    ['price between 12.5 and 12.5', true],
    ['price between 13 and 20', false],
    ['studio between "A" and "Z"', true],
    ['hd == true', true],
    ['hd != false', true],
    ['labels == ["classic", "long"]', true],
  ];
  for (const [source, expected] of cases) assert.equal(holds(source, heat), expected, source);
});

test('and, or, not, parentheses and their precedence', () => {
  const cases: Array<[string, boolean]> = [
    ['true and false', false],
    ['true or false', true],
    ['not false', true],
    ['not true or true', true], // (not true) or true
    ['not (true or true)', false],
    ['false and false or true', true], // (false and false) or true
    ['false and (false or true)', false],
    ['true or true and false', true], // true or (true and false)
    ['(true or true) and false', false],
    ['not not true', true],
    ['true # a comment runs to the end of the line\nand false', false],
    ['not year > 2000', true], // not (year > 2000)
    ['not "Drama" in categories', false], // not ("Drama" in categories)
    ['year > 1990 and year < 2000 and price < 20 and "la" in tags', true],
    ['year > 2000 or price > 100 or studio == "Warner"', true],
    ['year between 1990 and 2000 and price < 20', true], // the first "and" belongs to between
    ['year between 1990 and 2000 and price > 20', false],
  ];
  for (const [source, expected] of cases) assert.equal(holds(source, heat), expected, source);
});

test('arithmetic on numbers, with * and / before + and -', () => {
  const cases: Array<[string, boolean]> = [
    ['1 + 2 * 3 == 7', true],
    ['(1 + 2) * 3 == 9', true],
    ['10 - 4 - 3 == 3', true], // left to right
    ['12 / 4 / 3 == 1', true],
    ['-2 * 3 == -6', true],
    ['-(2 + 1) == -3', true],
    ['price * 2 == 25', true],
    ['price * 2 > year / 100', true],
    ['-price < 0', true],
    ['year - 1900 between 90 and 99', true],
    ['1.5e3 == 1500', true],
    ['2E-1 == 0.2', true],
  ];
  for (const [source, expected] of cases) assert.equal(holds(source, heat), expected, source);
});

test('literals: strings with escapes in either quote, true, false, null, lists', () => {
  const quoted = item({
    title: 'It\'s "quoted"\n\t\\ é 😀',
    attributes: { note: null as unknown as string },
  });
  assert.equal(holds('title == "It\'s \\"quoted\\"\\n\\t\\\\ \\u00e9 \\u{1F600}"', quoted), true);
  assert.equal(holds("title == 'It\\'s \"quoted\"\\n\\t\\\\ é 😀'", quoted), true);
  assert.equal(holds('user.nickname == null', heat, { user: { nickname: null } }), true);
  assert.equal(holds('user.nickname == null', heat, { user: {} }), false, 'missing is not null');
  assert.equal(holds('year in [1990, 1995, 2000]', heat), true);
  assert.equal(holds('year in [1, "1995", true]', heat), false, 'no coercion between types');
  assert.equal(holds('year in []', heat), false);
  assert.equal(holds('year not in [1990, 2000]', heat), true);
  assert.equal(holds('[1, "a"] == [1, "a"]', heat), true);
});

test('list membership both ways: in, not in, contains', () => {
  const bindings: RuleBindings = {
    user: { favourite: 'Crime' },
    context: { exclude: ['airplane', 'x'], nested: [['heat']] },
  };
  const cases: Array<[string, Item, boolean]> = [
    ['"Drama" in categories', heat, true],
    ['"Drama" in categories', airplane, false],
    ['categories contains "Drama"', heat, true],
    ['"Drama" not in categories', airplane, true],
    ['user.favourite in categories', heat, true],
    ['categories contains user.favourite', airplane, false],
    ['id in context.exclude', airplane, true],
    ['id in context.exclude', heat, false],
    ['id not in context.exclude', heat, true],
    ['context.exclude contains id', airplane, true],
    ['id in context.nested', heat, false],
    ['studio in ["Warner", "Fox"]', heat, true],
    ['["Warner", "Fox"] contains studio', heat, true],
    ['"heist" in tags and "la" in tags', heat, true],
  ];
  for (const [source, target, expected] of cases) {
    assert.equal(holds(source, target, bindings), expected, `${source} on ${target.id}`);
  }
  assert.equal(holds('id not in context.exclude', heat), true, 'no list: nothing is excluded');
  assert.equal(holds('id in context.exclude', heat), false);
  assert.equal(holds('id in context.exclude', heat, { context: { exclude: 'heat' } }), false);
});

test('a bound context list is read once, at bind', () => {
  const exclude = ['heat'];
  const keep = compileFilter('id not in context.exclude').bind({ context: { exclude } });
  exclude.length = 0;
  exclude.push('airplane');
  assert.equal(keep(heat), false);
  assert.equal(keep(airplane), true);
});

test('exists tells whether an attribute is present', () => {
  assert.equal(holds('exists(year)', heat), true);
  assert.equal(holds('exists(attributes.year)', untitled), false);
  assert.equal(holds('not exists(year)', untitled), true);
  assert.equal(holds('exists(title)', untitled), true, 'fields always exist');
  assert.equal(holds('exists(user.age)', heat, { user: { age: 3 } }), true);
  assert.equal(holds('exists(user.age)', heat), false);
  assert.equal(holds('exists(context.scenario)', heat, { context: { scenario: 'x' } }), true);
  assert.equal(holds('exists(constructor)', heat), false, 'only own attributes');
});

test('a missing attribute or a value of another type makes comparisons false, never throws', () => {
  const odd = item({ attributes: { year: '1995', price: [1, 2], hd: 'yes', labels: 'classic' } });
  for (const target of [untitled, odd]) {
    for (const source of [
      'year == 1995',
      'year < 3000',
      'year >= 0',
      'year > -1',
      'year <= 3000',
      'price between 0 and 100',
      'price * 2 > 0',
      '-price < 0',
      'hd',
      'hd == true',
      '"classic" in labels',
      'labels contains "classic"',
      'year in [1995, "x"]',
      'missing == missing',
      'user.age > 3',
      'constructor == constructor',
      'toString != 1 and false',
      '__proto__ == [1]',
    ]) {
      assert.equal(
        holds(source, target),
        false,
        `${source} on ${JSON.stringify(target.attributes)}`,
      );
    }
    // The negations are exactly "not" of their positive form.
    assert.equal(holds('year != 1995', target), true);
    assert.equal(holds('"classic" not in labels', target), true);
    assert.equal(holds('not hd', target), true);
  }
  assert.equal(holds('year == "1995"', odd), true, 'attributes are typed at run time');
});

test('syntax errors name what was expected and point at what was found', () => {
  assertFilterError('price < 20 and year >=', {
    position: 22,
    column: 23,
    length: 0,
    expected: 'a value',
    found: 'end of input',
    message: 'expected a value after ">=" at column 23, found end of input',
  });
  assertFilterError('', {
    position: 0,
    column: 1,
    length: 0,
    expected: 'a condition',
    message: 'expected a condition at column 1, found end of input',
  });
  assertFilterError('year > 3 4', {
    position: 9,
    column: 10,
    length: 1,
    expected: 'an operator or the end of the filter',
    found: 'the number 4',
  });
  assertFilterError('(year > 3', { position: 9, column: 10, length: 0, expected: '")"' });
  assertFilterError('year in [1, 2', { position: 13, column: 14, length: 0, expected: '"]"' });
  assertFilterError('year in [1,, 2]', {
    position: 11,
    column: 12,
    length: 1,
    expected: 'a value',
    found: '","',
  });
  assertFilterError('year > 1 and and x', {
    position: 13,
    column: 14,
    length: 3,
    expected: 'a condition',
    found: '"and"',
    message: 'expected a condition after "and" at column 14, found "and"',
  });
  assertFilterError('title == "Heat', {
    position: 9,
    column: 10,
    length: 5,
    message: 'this string has no closing quote at column 10',
  });
  assertFilterError('title == "a\\qb"', { position: 11, column: 12, length: 2 });
  assertFilterError('year > 1 && x', {
    position: 9,
    column: 10,
    length: 2,
    message: '"&&" is not an operator here; write "and" at column 10',
  });
  assertFilterError('year > 1 ? 2', {
    position: 9,
    column: 10,
    length: 1,
    found: '"?"',
    message: 'unexpected character "?" at column 10',
  });
  assertFilterError('1 < year < 2', {
    position: 9,
    column: 10,
    length: 1,
    message: /comparisons cannot be chained/,
  });
  assertFilterError('year not 3', { position: 9, column: 10, length: 1, expected: '"in"' });
  assertFilterError('year between 1 or 2', {
    position: 15,
    column: 16,
    length: 2,
    expected: '"and" (between LOW and HIGH)',
  });
  assertFilterError('upper(title) == "X"', {
    position: 0,
    column: 1,
    length: 5,
    message: /unknown function "upper"/,
  });
  assertFilterError('year.value > 3', {
    position: 4,
    column: 5,
    length: 1,
    message: /has no fields/,
  });
  assertFilterError('user > 3', {
    position: 5,
    column: 6,
    length: 1,
    expected: '"." and a name after "user"',
  });
  assertFilterError('context. == 3', { position: 9, column: 10, length: 2 });
  assertFilterError('exists(3)', {
    position: 7,
    column: 8,
    length: 1,
    expected: 'a name inside exists(...)',
  });
  assertFilterError('year in [1, year]', {
    position: 12,
    column: 13,
    length: 4,
    message: /list elements must be numbers, strings, true, false or null/,
  });
  assertFilterError('year > 1.', { position: 9, column: 10, length: 0 });
  assertFilterError('year > 1e999', { position: 7, column: 8, length: 5 });
  assertFilterError('YEAR > 1 AND x', {
    position: 9,
    column: 10,
    length: 3,
    found: 'the name "AND"',
  });
});

test('errors on later lines report line and column', () => {
  const source = 'boost(2) if year > 1990\n  boost(3) if year >\nboost(1)';
  assertBoostsError(source, {
    position: 45,
    line: 3,
    column: 1,
    length: 5,
    expected: 'a value',
    message: 'expected a value after ">" at line 3, column 1, found the name "boost"',
  });
  const crlf = 'boost(2)\r\nboost("x")';
  assertBoostsError(crlf, {
    position: 16,
    line: 2,
    column: 7,
    length: 3,
    message: /^a boost factor needs a number at line 2, column 7, found a string \("x"\)$/,
  });
});

test('type errors that can be seen before running are reported like syntax errors', () => {
  assertFilterError('categories > 3', {
    position: 0,
    column: 1,
    length: 10,
    expected: 'a number or a string',
    found: 'a list of strings (categories)',
    message: '">" compares numbers or strings at column 1, found a list of strings (categories)',
  });
  assertFilterError('"a" < 2', {
    position: 6,
    column: 7,
    length: 1,
    expected: 'a string',
    found: 'a number (2)',
  });
  assertFilterError('year in 1990', {
    position: 8,
    column: 9,
    length: 4,
    expected: 'a list',
    found: 'a number (1990)',
  });
  assertFilterError('title contains "ea"', {
    position: 0,
    column: 1,
    length: 5,
    expected: 'a list',
    found: 'a string (title)',
  });
  assertFilterError('not 3', {
    position: 4,
    column: 5,
    length: 1,
    expected: 'a condition',
    found: 'a number (3)',
    message: '"not" needs a condition (true or false) at column 5, found a number (3)',
  });
  assertFilterError('3 in categories', {
    position: 0,
    column: 1,
    length: 1,
    expected: 'a string',
    found: 'a number (3)',
  });
  assertFilterError('categories in tags', {
    position: 0,
    column: 1,
    length: 10,
    expected: 'a single value',
  });
  assertFilterError('id == 3', { position: 6, column: 7, length: 1, found: 'a number (3)' });
  assertFilterError('categories == "Drama"', { position: 14, column: 15, length: 7 });
  assertFilterError('title + 1 > 2', { position: 0, column: 1, length: 5, expected: 'a number' });
  assertFilterError('-"a" == 1', { position: 1, column: 2, length: 3, expected: 'a number' });
  assertFilterError('year > 1 and "x"', {
    position: 13,
    column: 14,
    length: 3,
    expected: 'a condition',
  });
  assertFilterError('year + 1', {
    position: 0,
    column: 1,
    length: 8,
    message: 'a filter needs a condition (true or false) at column 1, found a number (year + 1)',
  });
  assertFilterError('createdAt between "a" and 3', { position: 18, column: 19, length: 3 });
  assertFilterError('user.id > now', { position: 10, column: 11, length: 3, expected: 'a string' });
  assertBoostsError('boost("x")', {
    position: 6,
    column: 7,
    length: 3,
    expected: 'a number',
    found: 'a string ("x")',
  });
  assertBoostsError('boost(2) if 3', {
    position: 12,
    column: 13,
    length: 1,
    expected: 'a condition',
  });
});

test('boost syntax: separators, factors and what may follow a boost', () => {
  assertBoostsError('boost(2) year > 3', {
    position: 9,
    column: 10,
    length: 4,
    expected: '"if", ";" or a new line',
  });
  assertBoostsError('boost(2) if year > 3 price < 2', {
    position: 21,
    column: 22,
    length: 5,
    expected: 'an operator, ";" or a new line',
  });
  assertBoostsError('  ', {
    position: 2,
    column: 3,
    length: 0,
    expected: 'a boost such as "boost(2) if price < 20"',
  });
  assertBoostsError('year > 3', { position: 0, column: 1, length: 4 });
  assertBoostsError('boost 2', { position: 6, column: 7, length: 1, expected: '"("' });
  assertBoostsError('boost(2 if x)', { position: 8, column: 9, length: 2, expected: '")"' });
  assertBoostsError('boost(-1)', {
    position: 6,
    column: 7,
    length: 2,
    expected: 'a finite number of 0 or more',
  });
  assertBoostsError('boost(1 / 0) if year > 1', { position: 6, column: 7, length: 5 });
});

test('length and nesting limits are reported as INVALID_RULE, without exhausting the stack', () => {
  const tooLong = `year > ${'1'.repeat(MAX_RULE_LENGTH)}`;
  assertFilterError(tooLong, {
    position: MAX_RULE_LENGTH,
    column: MAX_RULE_LENGTH + 1,
    length: tooLong.length - MAX_RULE_LENGTH,
    message: `the rule is ${tooLong.length} characters long; the limit is ${MAX_RULE_LENGTH}`,
    source: tooLong.slice(0, MAX_RULE_LENGTH),
  });
  assert.throws(() => compileFilter('x'.repeat(1_000_000)), { code: 'INVALID_RULE' });

  const nested = (levels: number): string => `${'('.repeat(levels)}year > 1${')'.repeat(levels)}`;
  assert.equal(holds(nested(MAX_RULE_DEPTH - 1), heat), true);
  assertFilterError(nested(MAX_RULE_DEPTH + 1), {
    position: MAX_RULE_DEPTH,
    column: MAX_RULE_DEPTH + 1,
    length: 1,
    message: `the rule nests more than ${MAX_RULE_DEPTH} levels deep at column ${MAX_RULE_DEPTH + 1}`,
  });
  for (const hostile of [
    '('.repeat(4000),
    '['.repeat(4000),
    'not '.repeat(1000) + 'true',
    '-'.repeat(4000) + '1',
    '1' + ' + 1'.repeat(1000) + ' > 0',
    'exists('.repeat(500),
  ]) {
    assert.throws(() => compileFilter(hostile), { code: 'INVALID_RULE' }, hostile.slice(0, 20));
  }
  // Long chains of and/or are flat, not deep: a generated filter of many clauses compiles.
  const clauses = Array.from({ length: 200 }, (_, i) => `year != ${i}`).join(' and ');
  assert.equal(holds(clauses, heat), true);
  const alternatives = Array.from({ length: 200 }, (_, i) => `year == ${i + 1800}`).join(' or ');
  assert.equal(holds(alternatives, heat), true);
});

test('boosts: dynamic factors, skipped factors and explain', () => {
  const boosts = compileBoosts(
    [
      '# newer items first, cheap ones more so',
      'boost(1 + (year - 1990) / 10) if year >= 1990',
      'boost(3) if context.scenario == "sale" and price < 20',
      'boost(user.weight) if "Drama" in categories',
      'boost(0) if id in context.exclude',
    ].join('\n'),
  );
  const bindings: RuleBindings = {
    context: { scenario: 'sale', exclude: ['airplane'] },
    user: { weight: 1.25 },
  };
  const score = boosts.bind(bindings);
  assert.equal(score(heat), 1.5 * 3 * 1.25);
  assert.equal(score(airplane), 0, 'boost(0) buries');
  assert.equal(score(untitled), 1);
  assert.equal(boosts.bind({ user: { weight: -2 } })(heat), 1.5, 'negative factors are skipped');
  assert.equal(boosts.bind({ user: { weight: 'x' } })(heat), 1.5, 'non-numbers are skipped');

  assert.deepEqual(boosts.explain(heat, bindings), [
    { rule: 'boost(1 + (year - 1990) / 10) if year >= 1990', factor: 1.5 },
    { rule: 'boost(3) if context.scenario == "sale" and price < 20', factor: 3 },
    { rule: 'boost(user.weight) if "Drama" in categories', factor: 1.25 },
  ]);
  assert.deepEqual(boosts.explain(airplane, bindings), [
    { rule: 'boost(0) if id in context.exclude', factor: 0 },
  ]);
  assert.deepEqual(boosts.explain(untitled), []);
  const weighted = (weight: number): RuleBindings => ({ user: { weight } });
  assert.deepEqual(boosts.explain(heat, weighted(2)).at(-1), {
    rule: 'boost(user.weight) if "Drama" in categories',
    factor: 2,
  });
  assert.equal(boosts.explain(heat, weighted(3)).at(-1)?.factor, 3, 'new bindings, new binding');
  assert.equal(boosts.source.startsWith('# newer items first'), true);
});

test('constant rules fold to one answer for every item', () => {
  assert.equal(holds('1 + 1 == 2', untitled), true);
  assert.equal(holds('1 > 2 or false', heat), false);
  assert.equal(holds('context.a == 1 and year > 0', heat, { context: { a: 2 } }), false);
  assert.equal(
    compileBoosts('boost(2); boost(1.5) if 1 < 2; boost(9) if false').bind()(untitled),
    3,
  );
  assert.equal(compileBoosts('boost(2) if user.vip').bind({ user: { vip: true } })(untitled), 2);
});

test('RuleCache compiles each source once and drops the least recently used', () => {
  const cache = new RuleCache(2);
  const first = cache.filter('year > 1');
  assert.equal(cache.filter('year > 1'), first);
  const boosts = cache.boosts('boost(2)');
  assert.equal(cache.boosts('boost(2)'), boosts);
  assert.equal(cache.size, 2);
  cache.filter('year > 1'); // now the most recently used
  cache.filter('year > 2'); // evicts boost(2)
  assert.equal(cache.size, 2);
  assert.equal(cache.filter('year > 1'), first);
  assert.notEqual(cache.boosts('boost(2)'), boosts, 'recompiled after eviction');
  assert.equal(cache.size, 2);

  assert.throws(() => cache.filter('year >'), { code: 'INVALID_RULE' });
  assert.throws(() => cache.filter('year >'), { code: 'INVALID_RULE' });
  assert.equal(cache.size, 2, 'errors are not cached');
  assert.equal(cache.filter('true').source, 'true');
  assert.throws(() => new RuleCache(0), RangeError);

  const defaultCapacity = new RuleCache();
  for (let i = 0; i < 1001; i++) defaultCapacity.filter(`year > ${i}`);
  assert.equal(defaultCapacity.size, 1000);
});

test('rules on the item alone are bound once and shared; rules reading the request bind per request', () => {
  const first: RuleBindings = { user: { tier: 'gold' }, context: { max: 20 }, now: 1 };
  const second: RuleBindings = { user: { tier: 'free' }, context: { max: 10 }, now: 2 };
  const itemOnly = compileFilter('"Drama" in categories and year >= 1990');
  assert.equal(itemOnly.bind(first), itemOnly.bind(second));
  assert.equal(itemOnly.bind(first)(heat), true);
  assert.equal(itemOnly.bind(second)(airplane), false);
  for (const source of ['price < context.max', 'user.tier == "gold"', 'year < now']) {
    const reading = compileFilter(source);
    assert.notEqual(reading.bind(first), reading.bind(second), source);
  }
  assert.equal(compileFilter('price < context.max').bind(first)(heat), true);
  assert.equal(compileFilter('price < context.max').bind(second)(heat), false);

  const boosts = compileBoosts('boost(2) if price < 20; boost(3) if "Comedy" in categories');
  assert.equal(boosts.bind(first), boosts.bind(second));
  assert.equal(boosts.bind(first)(heat), 2);
  assert.equal(boosts.bind(second)(airplane), 3);
  const reading = compileBoosts('boost(2) if price < context.max');
  assert.notEqual(reading.bind(first), reading.bind(second));
  assert.equal(reading.bind(first)(heat), 2);
  assert.equal(reading.bind(second)(heat), 1);
});
