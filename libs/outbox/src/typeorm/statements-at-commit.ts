import { escapeLiteral } from 'pg';
import { QueryRunner } from 'typeorm';
import { commitQueryText, SqlStatement } from '../transaction-runner';

/** One queued statement, its values written in; an object so that a rollback removes this one, not an equal text. */
interface Queued {
  readonly text: string;
}

/** Statements queued per transaction's QueryRunner; a QueryRunner lives for one transaction. */
const queued = new WeakMap<QueryRunner, Queued[]>();

/**
 * Queues `statement` to go out with the COMMIT of the transaction on `queryRunner`: TypeORM's
 * `COMMIT` (sent only by the outermost commit) becomes one simple query, `<statement>; COMMIT`.
 * One round trip and one socket write fewer per transaction than the statement on its own
 * (issue 13: writes were a third of the callers' CPU). On PostgreSQL an error in the statement
 * skips the COMMIT and leaves the transaction failed, so TypeORM's commit rejects with that error
 * and the transaction rolls back. The values are written in now, so a value with no literal form
 * fails here rather than at the commit. Returns the function that takes the statement out of the
 * queue again (the caller's rollback of the savepoint or transaction it was queued in).
 *
 * The QueryRunner offers no hook for the text of its COMMIT, so its `query` method is wrapped on
 * this instance, once, for the transaction's life; every other query passes through unchanged.
 */
export function queueForCommit(queryRunner: QueryRunner, statement: SqlStatement): () => void {
  let texts = queued.get(queryRunner);
  if (texts === undefined) {
    texts = [];
    queued.set(queryRunner, texts);
    mergeIntoCommit(queryRunner, texts);
  }
  const entry: Queued = { text: inlineValues(statement) };
  texts.push(entry);
  const queue = texts;
  return () => {
    const at = queue.indexOf(entry);
    if (at >= 0) queue.splice(at, 1);
  };
}

function mergeIntoCommit(queryRunner: QueryRunner, texts: Queued[]): void {
  type Query = (text: string, parameters?: unknown[], useStructuredResult?: boolean) => Promise<unknown>;
  const query = (queryRunner.query as Query).bind(queryRunner);
  queryRunner.query = ((text: string, parameters?: unknown[], useStructuredResult?: boolean) => {
    if (text !== 'COMMIT' || texts.length === 0) return query(text, parameters, useStructuredResult);
    return query(commitQueryText(texts.splice(0).map((entry) => entry.text)), undefined, useStructuredResult);
  }) as QueryRunner['query'];
}

/**
 * The statement with its `$n` parameters written as literals: a simple query (the only kind that
 * may hold two statements) takes no parameters. Every value becomes a quoted literal, the text
 * `pg` would have sent as the parameter, so PostgreSQL types it from its context exactly as it
 * types an untyped parameter (`'5'` fits a text column where `5` would not). Only the library's
 * own statements get here, whose values are strings, numbers, booleans, null, and for the outbox
 * row bytes (bytea hex, `\x...`), a Date (ISO 8601 with its zone), an array of strings (an array
 * literal) and a plain object (JSON), the texts `pg` sends for those; `pg`'s escapeLiteral quotes
 * them whatever `standard_conforming_strings` is. `$n` is replaced wherever it stands, so a
 * statement must not hold `$n` inside a string constant of its own (the library's never do).
 */
export function inlineValues(statement: SqlStatement): string {
  return statement.text.replace(/\$(\d+)/g, (_, index: string) => {
    const position = Number(index);
    if (position < 1 || position > statement.values.length) {
      throw new Error(`statement ${statement.name} has no parameter $${index} (${statement.values.length} values)`);
    }
    return literal(statement.values[position - 1], statement.name);
  });
}

function literal(value: unknown, name: string): string {
  if (value === null || value === undefined) return 'NULL';
  const text = literalText(value);
  if (text === undefined) throw new Error(`statement ${name}: a ${kindOf(value)} parameter cannot be written as a literal`);
  return escapeLiteral(text);
}

/** The text of a value as PostgreSQL reads it from a literal, or undefined for a value with no such form here. */
function literalText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (value instanceof Date) return dateText(value);
  if (Array.isArray(value)) return value.every((item) => item === null || typeof item === 'string') ? arrayLiteral(value as Array<string | null>) : undefined;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) return JSON.stringify(value);
  return undefined;
}

/** `{"a","b\\"c",NULL}`: every element quoted, its backslashes and double quotes escaped (PostgreSQL's array input). */
function arrayLiteral(items: ReadonlyArray<string | null>): string {
  return `{${items.map((item) => (item === null ? 'NULL' : `"${item.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

/**
 * ISO 8601 in UTC, as PostgreSQL reads it: a year above 9999 without JavaScript's `+0` prefix
 * (`+010000-...` is refused, `10000-...` is read); no literal for an invalid Date or a year before 1.
 */
function dateText(value: Date): string | undefined {
  if (Number.isNaN(value.getTime()) || value.getUTCFullYear() < 1) return undefined;
  return value.toISOString().replace(/^\+0*/, '');
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) !== Object.prototype
    ? (value.constructor?.name ?? 'object')
    : typeof value;
}
