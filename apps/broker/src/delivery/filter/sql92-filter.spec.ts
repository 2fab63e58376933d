import { compileFilter } from './compile-filter';
import { CompiledFilter } from './filter-expression';
import { messageWith } from './filter.test-support';
import { SQL92_MAX_EXPRESSION_BYTES } from './sql92-filter';
import { SQL92_MAX_NESTING_DEPTH } from './sql92-parser';

function compileSql(expression: string): CompiledFilter {
  const result = compileFilter({ type: 'SQL92', expression });
  if (!result.ok) throw new Error(`expected ${JSON.stringify(expression)} to compile: ${result.reason}`);
  return result.filter;
}

function reasonFor(expression: string): string {
  const result = compileFilter({ type: 'SQL92', expression });
  if (result.ok) throw new Error(`expected ${JSON.stringify(expression)} to be illegal`);
  return result.reason;
}

/** Properties of the message most cases run against; TAGS comes from the tag. */
const PROPS = { a: '1', b: 'abc', c: '2.5', neg: '-3', big: '9223372036854775807', flag: 'true', e: '', q: "it's" };

describe('compileFilter (SQL92)', () => {
  it.each<[string, boolean]>([
    // literals and constants
    ['TRUE', true],
    ['FALSE', false],
    ['NULL', false],
    ['true', true],
    // equality on strings, numbers, across types (a property is converted to the literal's type)
    ["b = 'abc'", true],
    ["b = 'ABC'", false],
    ["b <> 'abc'", false],
    ["b <> 'x'", true],
    ["'abc' = b", true],
    ["q = 'it''s'", true],
    ["e = ''", true],
    ['a = 1', true],
    ['a = 1.0', true],
    ['a = 2', false],
    ["a = '1'", true],
    ["a = '1.0'", false],
    ['c = 2.5', true],
    ['c = 2.50', true],
    ['c = 2', false], // '2.5' is not a long: unknown, as RocketMQ's Long.valueOf throws
    ['c <> 2', false], // unknown too
    ['neg = -3', true],
    ['big = 9223372036854775807', true],
    ['big = 9223372036854775806', false], // exact, not rounded through a double
    ['big > 9223372036854775806', true],
    ['1 = 1.0', true],
    ['1 = 1', true],
    ['2 <> 1', true],
    ['flag = TRUE', true],
    ['flag = FALSE', false],
    ["'true' = TRUE", true], // RocketMQ refuses only a boolean literal on the left (see illegal ones)
  ])('%s -> %s', (expression, expected) => {
    expect(compileSql(expression).matches(messageWith('TagA', PROPS))).toBe(expected);
  });

  it.each<[string, boolean]>([
    // relational operators need numbers; two properties compare as doubles
    ['a > 0', true],
    ['a >= 1', true],
    ['a < 1', false],
    ['a <= 1', true],
    ['c > 2', false], // '2.5' vs integer literal: unknown (Long.valueOf('2.5') throws in RocketMQ)
    ['c > 2.0', true],
    ['c < 3.0', true],
    ['c > a', true],
    ['a < c', true],
    ['b > 0', false], // not a number: unknown
    ['b > a', false],
    ['neg < 0', true],
    ['neg < -2', true],
    ['neg > -4', true],
    ['a > -1', true],
    ['a > +0', true],
    ['a > - -0', true],
    ['a = --1\n1', true], // `--` starts a line comment
    ['1.5E1 > a', true],
    ['.5 < a', true],
    ['5. > a', true],
    ['a = 1L', true],
    // BETWEEN and NOT BETWEEN
    ['a BETWEEN 1 AND 2', true],
    ['a BETWEEN 0 AND 1', true],
    ['a BETWEEN 2 AND 3', false],
    ['c BETWEEN 2.0 AND 3.0', true],
    ['c BETWEEN 2 AND 3', false], // unknown: '2.5' is not a long
    ['a NOT BETWEEN 2 AND 3', true],
    ['a NOT BETWEEN 0 AND 2', false],
    ['a not between 3 and 2', true], // no order check for NOT BETWEEN, as in RocketMQ
    ['missing BETWEEN 1 AND 2', false],
    ['missing NOT BETWEEN 1 AND 2', false],
    // IN and NOT IN compare strings
    ["b IN ('abc', 'x')", true],
    ["b IN ('x')", false],
    ["a IN ('1')", true],
    ["a IN ('1.0')", false],
    ["b NOT IN ('x', 'y')", true],
    ["b NOT IN ('abc')", false],
    ["missing IN ('x')", false],
    ["missing NOT IN ('x')", false],
    // IS NULL / IS NOT NULL
    ['missing IS NULL', true],
    ['missing IS NOT NULL', false],
    ['a IS NULL', false],
    ['a IS NOT NULL', true],
    ['e IS NOT NULL', true],
    ['NULL IS NULL', true],
    ['(missing > 1) IS NULL', true],
    // TAGS is the message's tag
    ["TAGS = 'TagA'", true],
    ["TAGS IN ('TagA', 'TagB')", true],
    ["TAGS <> 'TagA'", false],
    ['TAGS IS NOT NULL', true],
    // CONTAINS, STARTSWITH, ENDSWITH (RocketMQ 5)
    ["b CONTAINS 'bc'", true],
    ["b CONTAINS 'x'", false],
    ["b NOT CONTAINS 'x'", true],
    ["b STARTSWITH 'ab'", true],
    ["b STARTSWITH 'bc'", false],
    ["b ENDSWITH 'bc'", true],
    ["b NOT ENDSWITH 'bc'", false],
    ["b NOT STARTSWITH 'x'", true],
    ["b CONTAINS ''", false],
    ["b NOT CONTAINS ''", false],
    ["missing CONTAINS 'x'", false],
    ["missing NOT CONTAINS 'x'", false],
    ["NOT (missing CONTAINS 'x')", true], // the text operators answer FALSE, not unknown
    // keywords are case-insensitive; property names are not
    ["B = 'abc'", false],
    ["b In ('abc') aNd a bEtWeEn 1 AnD 1", true],
    // comments and whitespace
    ["/* tag */ TAGS = 'TagA' -- trailing comment", true],
    ["a = 1 -- first\nAND b = 'abc'", true],
    ['\ta\n=\r1\f', true],
  ])('%s -> %s', (expression, expected) => {
    expect(compileSql(expression).matches(messageWith('TagA', PROPS))).toBe(expected);
  });

  describe('three-valued logic: a missing property is unknown', () => {
    it.each<[string, boolean]>([
      ['missing = 1', false],
      ['missing <> 1', false],
      ["'x' <> missing", false],
      ['NOT (missing = 1)', false],
      ['NOT missing = 1', false],
      ['missing = 1 OR a = 1', true],
      ['missing = 1 OR a = 2', false],
      ['missing = 1 AND a = 2', false],
      ['NOT (missing = 1 AND a = 2)', true], // unknown AND false = false
      ['NOT (missing = 1 OR a = 2)', false], // unknown OR false = unknown
      ['NOT (missing = 1 OR a = 1)', false],
      ['b = 1 OR a = 1', true], // 'abc' is not a number: unknown there, true here
      ['NOT (b = 1)', false],
      ['-b = -1', false],
    ])('%s -> %s', (expression, expected) => {
      expect(compileSql(expression).matches(messageWith('TagA', PROPS))).toBe(expected);
    });
  });

  describe('operator precedence', () => {
    it.each<[string, Record<string, string>, boolean]>([
      ['x = 1 OR x = 2 AND y = 3', { x: '1', y: '0' }, true], // AND binds tighter than OR
      ['(x = 1 OR x = 2) AND y = 3', { x: '1', y: '0' }, false],
      ['NOT x = 1 AND y = 3', { x: '2', y: '3' }, true], // NOT negates the comparison (standard SQL)
      ['NOT x = 1 OR y = 3', { x: '1', y: '3' }, true],
      ['NOT NOT x = 1', { x: '1' }, true],
      ['x > 1 = TRUE', { x: '2' }, true], // comparisons bind tighter than = (RocketMQ's grammar)
      ['x > 1 = FALSE', { x: '2' }, false],
      ['(((x = 1)))', { x: '1' }, true],
      ['x = 1 AND y = 2 AND z = 3 OR w = 4', { w: '4' }, true],
    ])('%s with %j -> %s', (expression, properties, expected) => {
      expect(compileSql(expression).matches(messageWith(undefined, properties))).toBe(expected);
    });
  });

  describe('property names', () => {
    it.each<[string, Record<string, string>, boolean]>([
      ['order_type = 1', { order_type: '1' }, true],
      ['$price > 9.5', { $price: '10' }, true],
      ['order.type = 1', { 'order.type': '1' }, true],
      ['a1b2 = 1', { a1b2: '1' }, true],
      ['constructor IS NULL', {}, true],
      ['__proto__ IS NULL', {}, true],
      ['toString IS NOT NULL', {}, false],
      ['TAGS IS NULL', {}, true],
    ])('%s with %j -> %s', (expression, properties, expected) => {
      expect(compileSql(expression).matches(messageWith(undefined, properties))).toBe(expected);
    });
  });

  describe('a property used as a condition is cast like RocketMQ (a string is never TRUE)', () => {
    it.each<[string, Record<string, string>, boolean]>([
      ['flag', { flag: 'true' }, false],
      ['NOT flag', { flag: 'true' }, true],
      ['flag', {}, false],
      ['NOT flag', {}, false],
      ['flag OR x = 1', { x: '1' }, true],
    ])('%s with %j -> %s', (expression, properties, expected) => {
      expect(compileSql(expression).matches(messageWith(undefined, properties))).toBe(expected);
    });
  });

  describe('numbers follow Java (Long.valueOf, Double.valueOf, Double.compare)', () => {
    it.each<[string, Record<string, string>, boolean]>([
      ['x = 1', { x: '+1' }, true],
      ['x = 1', { x: '01' }, true],
      ['x = 1', { x: ' 1' }, false], // Long.valueOf does not trim
      ['x = 1.0', { x: ' 1 ' }, true], // Double.valueOf does
      ['x = 1.0', { x: '1d' }, true],
      ['x = 1.0', { x: '1e0' }, true],
      ['x > 1.0', { x: 'Infinity' }, true],
      ['x > 1.0', { x: 'NaN' }, true], // Double.compare puts NaN above everything
      ['x = 0.0', { x: '-0.0' }, false], // and -0.0 below 0.0
      ['x < 0.0', { x: '-0.0' }, true],
      ['x = 1', { x: '99999999999999999999' }, false], // beyond a long: unknown
      ['x > y', { x: '10', y: '9' }, true], // numerically, not as strings
      ['x > y', { x: '1e3', y: '999.5' }, true],
      ['x > y', { x: 'b', y: 'a' }, false], // strings cannot be ordered: unknown
    ])('%s with %j -> %s', (expression, properties, expected) => {
      expect(compileSql(expression).matches(messageWith(undefined, properties))).toBe(expected);
    });
  });

  it('passes every tag hash (the tag is only known once the message is read)', () => {
    const filter = compileSql("TAGS = 'A'");
    for (const hash of [0, 65, -1]) expect(filter.matchesTagHash(hash)).toBe(true);
  });

  it('keeps the expression it was compiled from', () => {
    expect(compileSql('a = 1').expression).toEqual({ type: 'SQL92', expression: 'a = 1' });
  });

  describe('illegal expressions', () => {
    it.each<[string, string]>([
      // [expression, expected part of the reason]
      ['', 'empty'],
      ['   ', 'empty'],
      ['a =', 'position 3 (line 1, column 4): expected a value, a property or ( but found the end of the expression'],
      ['a = 1 b = 2', 'position 6 (line 1, column 7): expected an operator or the end of the expression but found property b'],
      ["a = 'x", 'position 4 (line 1, column 5): unterminated string literal'],
      ['a = 1 /* x', 'unterminated comment'],
      ['a = 1 && b = 2', 'unexpected character "&"'],
      ['a == 1', "expected a value, a property or ( but found '='"],
      ['a != 1', 'unexpected character "!"'],
      ['(a = 1', "expected ')' but found the end of the expression"],
      ['a = 1)', "but found ')'"],
      ['a = 01', 'invalid number "01"'],
      ['a = 1abc', 'invalid number'],
      ['a = 1e', 'invalid number'],
      ['a = 1.2.3', 'invalid number'],
      ['a = 9223372036854775808', 'does not fit a 64-bit long'],
      ['a = 1e400', 'out of range'],
      ['a = NULL', 'NULL cannot be compared with'],
      ['NULL <> a', 'NULL cannot be compared with'],
      ["TRUE = 'true'", 'TRUE cannot be compared with'],
      ["a > 'x'", "string 'x' cannot be compared with '>'"],
      ['a > TRUE', "TRUE cannot be compared with '>'"],
      ['a > NULL', "NULL cannot be compared with '>'"],
      ['(a = 1) > 2', "a condition cannot be compared with '>'"],
      ['a > 1 > 2', 'a condition cannot be compared'],
      ["a BETWEEN 'a' AND 'b'", 'cannot be compared with BETWEEN'],
      ['a BETWEEN 3 AND 2', 'BETWEEN needs low <= high'],
      ['a BETWEEN 1', 'expected AND'],
      ['a IN ()', 'expected a string literal'],
      ['a IN (1, 2)', 'expected a string literal'],
      ["a IN 'x'", "expected '('"],
      ["1 IN ('1')", 'IN needs a property on its left'],
      ['a CONTAINS b', 'expected a string literal'],
      ['a IS 1', 'expected NULL'],
      ['a IS NOT', 'expected NULL'],
      ['1', 'does not result in a boolean value'],
      ["'x'", 'does not result in a boolean value'],
      ['-a', 'does not result in a boolean value'],
      ['a = 1 AND 2', 'position 10 (line 1, column 11): expression does not result in a boolean value'],
      ['NOT 1', 'does not result in a boolean value'],
      ['a = 1 AND', 'found the end of the expression'],
      ['AND a = 1', 'found AND'],
      ['a = 1\nOR OR', 'position 9 (line 2, column 4)'],
      ['a.b.c = ?', 'unexpected character "?"'],
      ['ä = 1', 'unexpected character "ä"'],
    ])('%j is illegal: %s', (expression, reason) => {
      expect(reasonFor(expression)).toContain(reason);
    });

    it('refuses expressions longer than the byte limit, counting UTF-8 bytes', () => {
      const atLimit = `a = '${'x'.repeat(SQL92_MAX_EXPRESSION_BYTES - 6)}'`;
      expect(Buffer.byteLength(atLimit)).toBe(SQL92_MAX_EXPRESSION_BYTES);
      expect(compileFilter({ type: 'SQL92', expression: atLimit }).ok).toBe(true);
      expect(reasonFor(`${atLimit} `)).toContain('more than the limit');
      expect(reasonFor(`a = '${'é'.repeat(SQL92_MAX_EXPRESSION_BYTES / 2)}'`)).toContain('more than the limit');
    });

    it('refuses nesting deeper than the bound, and accepts it up to the bound', () => {
      const nested = (depth: number): string => `${'('.repeat(depth)}a = 1${')'.repeat(depth)}`;
      expect(compileSql(nested(SQL92_MAX_NESTING_DEPTH)).matches(messageWith(undefined, { a: '1' }))).toBe(true);
      expect(reasonFor(nested(SQL92_MAX_NESTING_DEPTH + 1))).toContain(`nested deeper than ${SQL92_MAX_NESTING_DEPTH}`);
      expect(reasonFor(`${'NOT '.repeat(SQL92_MAX_NESTING_DEPTH + 1)}a = 1`)).toContain('nested deeper');
      // `- ` with a space: `--` starts a comment, as in RocketMQ.
      expect(reasonFor(`a = ${'- '.repeat(SQL92_MAX_NESTING_DEPTH + 1)}1`)).toContain('nested deeper');
    });

    it('evaluates a long flat OR chain without deep recursion', () => {
      const terms = Array.from({ length: 300 }, (_, i) => `a = ${i}`);
      const filter = compileSql(terms.join(' OR '));
      expect(filter.matches(messageWith(undefined, { a: '299' }))).toBe(true);
      expect(filter.matches(messageWith(undefined, { a: '300' }))).toBe(false);
    });
  });
});
