import { Sql92Value } from './sql92-ast';

/**
 * How RocketMQ's filter compares two values of different types (ComparisonExpression.__compare
 * with `convertStringExpressions` on, which SelectorParser.parse always sets): a property value
 * (always a string) is converted to the literal's type: Long.valueOf for an integer literal,
 * Double.valueOf for a decimal one, Boolean.valueOf for TRUE/FALSE; an integer meets a decimal
 * as a double. Where Java throws (a string that is not a number), we answer `unknown`, so the
 * comparison is unknown, as for a missing property. In RocketMQ the exception abandons the
 * whole expression and the message does not match; the two agree except under OR and NOT,
 * where `a = 1 OR b = 'x'` still matches a message with a = 'abc' and b = 'x' here.
 * `incomparable` is Java's -1 for a boolean against a number: not equal, never ordered.
 */
export type Sql92Comparison = number | 'unknown' | 'incomparable';

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const JAVA_LONG = /^[+-]?[0-9]+$/;
/** Java's Double.valueOf grammar without hexadecimal floats; whitespace (<= U+0020) trimmed. */
const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)$/;

/** Java's Long.valueOf on ASCII digits: the value, or undefined where Java throws. */
export function parseJavaLong(text: string): bigint | undefined {
  if (!JAVA_LONG.test(text)) return undefined;
  const value = BigInt(text);
  return value < LONG_MIN || value > LONG_MAX ? undefined : value;
}

/** Java's Double.valueOf: the value, or undefined where Java throws. */
export function parseJavaDouble(text: string): number | undefined {
  const trimmed = text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (!JAVA_DOUBLE.test(trimmed)) return undefined;
  return Number(trimmed.replace(/[fFdD]$/, ''));
}

/** Java's Double.compare: -0.0 < 0.0, and NaN equals itself and is above everything. */
export function compareJavaDoubles(left: number, right: number): number {
  if (left < right) return -1;
  if (left > right) return 1;
  const leftNaN = Number.isNaN(left);
  const rightNaN = Number.isNaN(right);
  if (leftNaN || rightNaN) return leftNaN === rightNaN ? 0 : leftNaN ? 1 : -1;
  if (left === 0 && right === 0) return Number(Object.is(right, -0)) - Number(Object.is(left, -0));
  return 0;
}

/** Compares two non-null values, converting across types as described above. */
export function compareSql92Values(left: Exclude<Sql92Value, null>, right: Exclude<Sql92Value, null>): Sql92Comparison {
  if (typeof left === typeof right) return compareSameType(left, right);
  if (typeof left === 'string') return invert(convertAndCompare(right, left));
  return convertAndCompare(left, right);
}

/** `value` is not a string; `other` is a string or a non-string of another type. */
function convertAndCompare(value: Exclude<Sql92Value, null>, other: Exclude<Sql92Value, null>): Sql92Comparison {
  if (typeof other === 'string') {
    const converted = convertString(other, value);
    return converted === undefined ? 'unknown' : compareSameType(value, converted);
  }
  if (typeof value === 'boolean' || typeof other === 'boolean') return 'incomparable';
  return compareJavaDoubles(Number(value), Number(other));
}

function convertString(text: string, like: Exclude<Sql92Value, null>): Exclude<Sql92Value, null> | undefined {
  switch (typeof like) {
    case 'bigint':
      return parseJavaLong(text);
    case 'number':
      return parseJavaDouble(text);
    case 'boolean':
      return text.toLowerCase() === 'true';
    default:
      return text;
  }
}

function compareSameType(left: Exclude<Sql92Value, null>, right: Exclude<Sql92Value, null>): number {
  if (typeof left === 'number') return compareJavaDoubles(left, right as number);
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

function invert(comparison: Sql92Comparison): Sql92Comparison {
  return typeof comparison === 'number' ? 0 - comparison : comparison;
}
