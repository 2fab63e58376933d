import fc, { Arbitrary } from 'fast-check';

/**
 * Scalar values that break brokers: int64s that a JavaScript number cannot hold, int32 limits,
 * and strings a name validator or a JSON encoder may trip on.
 */

/** int64 values past Number.MAX_SAFE_INTEGER, as decimal strings (protobufjs encodes them exactly). */
export const UNSAFE_INT64_VALUES: readonly string[] = [
  '9007199254740992', // 2^53
  '9007199254740993', // 2^53 + 1, which a double rounds to 2^53
  '-9007199254740993',
  '9223372036854775807', // max int64
  '-9223372036854775808', // min int64
  '4611686018427387904', // 2^62
];

/** An int64 as the request object carries it: a safe number, or a decimal string (exact on the wire). */
export function int64Arbitrary(): Arbitrary<number | string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -2, max: 64 }) },
    { weight: 2, arbitrary: fc.constantFrom(0, -1, 2_147_483_647, 4_294_967_296, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER) },
    { weight: 3, arbitrary: fc.constantFrom(...UNSAFE_INT64_VALUES) },
    { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
  );
}

export function int32Arbitrary(): Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -2, max: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(2_147_483_647, -2_147_483_648, 65_536) },
    { weight: 1, arbitrary: fc.integer() },
  );
}

/** True for an int64 value (number or decimal string) that a JavaScript number cannot hold exactly. */
export function isUnsafeInt64(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isSafeInteger(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return !Number.isSafeInteger(Number(value));
  return false;
}

/** Strings that are not what a field expects: blank, control characters, unicode, very long. */
export function nastyStringArbitrary(): Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        '\t',
        '\u0000',
        'a|b',
        '%DLQ%x',
        '%RETRY%x',
        '..',
        '/',
        '\\',
        '💥',
        'é'.normalize('NFD'),
        '\ud800',
        '__proto__',
        'constructor',
        'null',
        '-1',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((length) => 'x'.repeat(length)) },
  );
}

/** A JSON value of any shape, with the numbers JSON.parse turns into something else. */
export function jsonValueArbitrary(): Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: nastyStringArbitrary() },
    { weight: 3, arbitrary: fc.constantFrom(0, -1, 1.5, 1e21, -1e300, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 4, 8, 16) },
    { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
    { weight: 1, arbitrary: fc.constantFrom('9007199254740993', '99999999999999999999', '-5', '1e3', '0x10', ' 7', '007') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}
