import { Sql92SyntaxError } from './sql92-syntax-error';

/** Reserved words, case-insensitive (RocketMQ's SelectorParser.jj `TOKEN [IGNORE_CASE]`). */
export const SQL92_KEYWORDS = ['NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH'] as const;
export type Sql92Keyword = (typeof SQL92_KEYWORDS)[number];

export type Sql92Operator = '=' | '<>' | '<' | '>' | '<=' | '>=' | '(' | ')' | ',' | '+' | '-';

export type Sql92Token = { start: number } & (
  | { kind: 'keyword'; keyword: Sql92Keyword }
  | { kind: 'identifier'; name: string }
  | { kind: 'string'; value: string }
  /** Integers are exact (Java long range); text without the optional `L` suffix. */
  | { kind: 'integer'; value: bigint }
  | { kind: 'decimal'; value: number }
  | { kind: 'operator'; operator: Sql92Operator }
  | { kind: 'end' }
);

const KEYWORDS: ReadonlySet<string> = new Set(SQL92_KEYWORDS);
const LONG_MAX = 2n ** 63n - 1n;
const WHITESPACE = /[ \t\n\r\f]/;
const IDENTIFIER_START = /[A-Za-z_$]/;
/** RocketMQ allows `[A-Za-z0-9_$]` after the first character; we also allow `.` (see below). */
const IDENTIFIER_PART = /[A-Za-z0-9_$.]/;
const DIGIT = /[0-9]/;
/** RocketMQ's DECIMAL_LITERAL and FLOATING_POINT_LITERAL, anchored at the scan position. */
const NUMBER = /(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+[lL]?)/y;
const TWO_CHARACTER_OPERATORS: ReadonlySet<string> = new Set(['<>', '<=', '>=']);
const ONE_CHARACTER_OPERATORS: ReadonlySet<string> = new Set(['=', '<', '>', '(', ')', ',', '+', '-']);

/**
 * Splits a SQL92 filter expression into tokens, following RocketMQ's SelectorParser.jj:
 * - whitespace is space, tab, CR, LF and form feed; `-- ...` line comments and block comments
 *   are skipped (a line comment may also end the expression, where RocketMQ wants a newline);
 * - strings are single-quoted, `''` is a quote inside one;
 * - integers are `0` or start with 1-9, may carry an `L` suffix and must fit a Java long;
 *   decimals are `5.5`, `5.`, `.5`, with an optional exponent (`5E10`, `.5e-3`) and must be finite;
 * - identifiers start with a letter, `_` or `$`, then letters, digits, `_`, `$`. We also accept
 *   `.` after the first character (property names like `order.type` are common); in RocketMQ such
 *   an expression is a syntax error, so no expression it accepts changes meaning here.
 */
export function tokenizeSql92(text: string): Sql92Token[] {
  const tokens: Sql92Token[] = [];
  let position = 0;
  while (position < text.length) {
    const character = text[position];
    if (WHITESPACE.test(character)) {
      position++;
    } else if (text.startsWith('--', position)) {
      position = skipLineComment(text, position);
    } else if (text.startsWith('/*', position)) {
      position = skipBlockComment(text, position);
    } else if (character === "'") {
      position = readString(text, position, tokens);
    } else if (DIGIT.test(character) || (character === '.' && DIGIT.test(text[position + 1] ?? ''))) {
      position = readNumber(text, position, tokens);
    } else if (IDENTIFIER_START.test(character)) {
      position = readWord(text, position, tokens);
    } else if (TWO_CHARACTER_OPERATORS.has(text.slice(position, position + 2))) {
      tokens.push({ kind: 'operator', operator: text.slice(position, position + 2) as Sql92Operator, start: position });
      position += 2;
    } else if (ONE_CHARACTER_OPERATORS.has(character)) {
      tokens.push({ kind: 'operator', operator: character as Sql92Operator, start: position });
      position++;
    } else {
      throw new Sql92SyntaxError(`unexpected character ${JSON.stringify(character)}`, position);
    }
  }
  tokens.push({ kind: 'end', start: text.length });
  return tokens;
}

function skipLineComment(text: string, start: number): number {
  const end = text.slice(start).search(/[\r\n]/);
  return end === -1 ? text.length : start + end + 1;
}

function skipBlockComment(text: string, start: number): number {
  const end = text.indexOf('*/', start + 2);
  if (end === -1) throw new Sql92SyntaxError('unterminated comment', start);
  return end + 2;
}

function readString(text: string, start: number, tokens: Sql92Token[]): number {
  let value = '';
  let position = start + 1;
  for (;;) {
    const quote = text.indexOf("'", position);
    if (quote === -1) throw new Sql92SyntaxError('unterminated string literal', start);
    value += text.slice(position, quote);
    if (text[quote + 1] !== "'") {
      tokens.push({ kind: 'string', value, start });
      return quote + 1;
    }
    value += "'";
    position = quote + 2;
  }
}

function readNumber(text: string, start: number, tokens: Sql92Token[]): number {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text);
  const literal = match?.[0] ?? '';
  const end = start + literal.length;
  // A number must not run into a word or another number: `01`, `1abc`, `1e`, `5.5L`, `1.2.3`.
  if (literal === '' || (end < text.length && /[A-Za-z0-9_$.]/.test(text[end]))) {
    throw new Sql92SyntaxError(`invalid number ${JSON.stringify(text.slice(start, end + 1))}`, start);
  }
  if (/^[0-9]+[lL]?$/.test(literal)) {
    const digits = literal.replace(/[lL]$/, '');
    if (digits.length > 1 && digits.startsWith('0')) throw new Sql92SyntaxError(`invalid number ${JSON.stringify(literal)}`, start);
    const value = BigInt(digits);
    if (value > LONG_MAX) throw new Sql92SyntaxError(`integer ${literal} does not fit a 64-bit long`, start);
    tokens.push({ kind: 'integer', value, start });
  } else {
    const value = Number(literal);
    if (!Number.isFinite(value)) throw new Sql92SyntaxError(`decimal ${literal} is out of range`, start);
    tokens.push({ kind: 'decimal', value, start });
  }
  return end;
}

function readWord(text: string, start: number, tokens: Sql92Token[]): number {
  let end = start + 1;
  while (end < text.length && IDENTIFIER_PART.test(text[end])) end++;
  const word = text.slice(start, end);
  const upper = word.toUpperCase();
  if (KEYWORDS.has(upper)) tokens.push({ kind: 'keyword', keyword: upper as Sql92Keyword, start });
  else tokens.push({ kind: 'identifier', name: word, start });
  return end;
}
