import { QueryRunner } from 'typeorm';
import { inlineValues, queueForCommit } from './statements-at-commit';

const statement = (text: string, ...values: unknown[]) => ({ name: 'spec_statement', text, values });

describe('inlineValues: a statement written out for a simple query', () => {
  it('writes every value as a quoted literal, as pg would send it as an untyped parameter', () => {
    expect(inlineValues(statement('INSERT INTO t (a, b, c, d, e) VALUES ($1, $2, $3, $4, $5)', 'x', 5, -5, true, 10n))).toBe(
      "INSERT INTO t (a, b, c, d, e) VALUES ('x', '5', '-5', 'true', '10')",
    );
  });

  it('doubles quotes and escapes backslashes, so no value can end its literal', () => {
    // pg's escapeLiteral: E'' with a leading space when the value holds a backslash.
    expect(inlineValues(statement('SELECT $1', "it's \\ -- done"))).toBe("SELECT  E'it''s \\\\ -- done'");
  });

  it('writes null and undefined as NULL, and replaces $10 whole, not as $1 and 0', () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    values[1] = null as unknown as string;
    expect(inlineValues(statement('SELECT $1, $2, $10', ...values))).toBe("SELECT 'v1', NULL, 'v10'");
    expect(inlineValues(statement('SELECT $1', undefined))).toBe('SELECT NULL');
  });

  it('refuses a parameter without a value, and values that have no literal form here', () => {
    expect(() => inlineValues(statement('SELECT $2', 'only one'))).toThrow('statement spec_statement has no parameter $2 (1 values)');
    expect(() => inlineValues(statement('SELECT $1', new Map()))).toThrow('a Map parameter cannot be written as a literal');
    expect(() => inlineValues(statement('SELECT $1', [1, 2]))).toThrow('a array parameter cannot be written as a literal');
    expect(() => inlineValues(statement('SELECT $1', Number.NaN))).toThrow('a number parameter cannot be written as a literal');
    expect(() => inlineValues(statement('SELECT $1', new Date(Number.NaN)))).toThrow('a Date parameter cannot be written as a literal');
    expect(() => inlineValues(statement('SELECT $1', new Date(Date.UTC(-1, 0, 1))))).toThrow('a Date parameter cannot be written as a literal');
  });

  it("writes the outbox row's kinds as pg would send them: bytes as bytea hex, a Date in ISO 8601, a string array, a plain object as JSON", () => {
    expect(inlineValues(statement('SELECT $1', Buffer.from([0, 0xab, 0x27])))).toBe("SELECT  E'\\\\x00ab27'");
    expect(inlineValues(statement('SELECT $1', new Date(Date.UTC(2026, 11, 5, 9, 30, 0, 250))))).toBe("SELECT '2026-12-05T09:30:00.250Z'");
    // JavaScript writes this year `+010000`, which PostgreSQL refuses.
    expect(inlineValues(statement('SELECT $1', new Date(Date.UTC(10000, 0, 1))))).toBe("SELECT '10000-01-01T00:00:00.000Z'");
    expect(inlineValues(statement('SELECT $1', ['a', 'b"c', null, "d'e"]))).toBe(String.raw`SELECT  E'{"a","b\\"c",NULL,"d''e"}'`);
    expect(inlineValues(statement('SELECT $1', []))).toBe("SELECT '{}'");
    expect(inlineValues(statement('SELECT $1', { contentType: 'application/json', "it's": 'x' }))).toBe(
      `SELECT '{"contentType":"application/json","it''s":"x"}'`,
    );
  });
});

describe('queueForCommit: the COMMIT carries what was queued', () => {
  /** A QueryRunner stand-in that records the texts its query() is given. */
  function fakeQueryRunner(): { runner: QueryRunner; sent: string[] } {
    const sent: string[] = [];
    const runner = { query: (text: string) => Promise.resolve(void sent.push(text)) } as unknown as QueryRunner;
    return { runner, sent };
  }

  it('sends the queued statements, in order, in the COMMIT query; other queries pass unchanged', async () => {
    const { runner, sent } = fakeQueryRunner();
    queueForCommit(runner, statement('INSERT INTO t VALUES ($1)', 'a'));
    queueForCommit(runner, statement('INSERT INTO t VALUES ($1)', 'b'));
    await runner.query('SELECT 1');
    await runner.query('COMMIT');
    expect(sent).toEqual(['SELECT 1', "INSERT INTO t VALUES ('a');\nINSERT INTO t VALUES ('b');\nCOMMIT"]);
  });

  it('a removal takes out the statement it was returned for, not an earlier one with the same text', async () => {
    const { runner, sent } = fakeQueryRunner();
    queueForCommit(runner, statement('INSERT INTO t VALUES ($1)', 'x'));
    queueForCommit(runner, statement('INSERT INTO t VALUES ($1)', 'y'));
    const removeSecondX = queueForCommit(runner, statement('INSERT INTO t VALUES ($1)', 'x'));
    removeSecondX();
    await runner.query('COMMIT');
    expect(sent).toEqual(["INSERT INTO t VALUES ('x');\nINSERT INTO t VALUES ('y');\nCOMMIT"]);
  });
});
