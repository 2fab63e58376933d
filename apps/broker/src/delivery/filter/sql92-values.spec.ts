import { Sql92Value } from './sql92-ast';
import { compareJavaDoubles, compareSql92Values, parseJavaDouble, parseJavaLong } from './sql92-values';

describe('SQL92 value conversions (Java semantics)', () => {
  it.each<[string, bigint | undefined]>([
    ['0', 0n],
    ['-12', -12n],
    ['+12', 12n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775808', undefined],
    ['1.0', undefined],
    [' 1', undefined],
    ['', undefined],
    ['1e3', undefined],
  ])('Long.valueOf(%j) = %s', (text, expected) => {
    expect(parseJavaLong(text)).toBe(expected);
  });

  it.each<[string, number | undefined]>([
    ['1', 1],
    ['1.', 1],
    ['.5', 0.5],
    ['-2.5e2', -250],
    [' 3 ', 3],
    ['4f', 4],
    ['4D', 4],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['NaN', NaN],
    ['', undefined],
    ['abc', undefined],
    ['1,5', undefined],
    ['0x10', undefined],
    ['Infinityf', undefined],
  ])('Double.valueOf(%j) = %s', (text, expected) => {
    expect(parseJavaDouble(text)).toBe(expected);
  });

  it.each<[number, number, number]>([
    [1, 2, -1],
    [2, 1, 1],
    [1, 1, 0],
    [-0, 0, -1],
    [0, -0, 1],
    [NaN, NaN, 0],
    [NaN, Infinity, 1],
    [Infinity, NaN, -1],
  ])('Double.compare(%s, %s) = %s', (left, right, expected) => {
    expect(compareJavaDoubles(left, right)).toBe(expected);
  });

  it.each<[Exclude<Sql92Value, null>, Exclude<Sql92Value, null>, number | string]>([
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['10', '9', -1], // two strings compare as strings (only relational operators convert them)
    [1n, 2n, -1],
    [2n, 1.5, 1],
    ['2', 1n, 1],
    [1n, '2', -1],
    ['1.5', 1n, 'unknown'],
    ['x', 1.5, 'unknown'],
    ['1.5', 1.5, 0],
    ['TRUE', true, 0],
    [true, 'yes', 1],
    [true, 1n, 'incomparable'],
    [0.5, false, 'incomparable'],
    [true, false, 1],
  ])('compare(%j, %j) = %j', (left, right, expected) => {
    const result = compareSql92Values(left, right);
    expect(typeof result === 'number' ? Math.sign(result) : result).toBe(expected);
  });
});
