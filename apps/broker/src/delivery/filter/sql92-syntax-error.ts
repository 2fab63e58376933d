/**
 * An illegal SQL92 filter expression, with the character offset where the problem was found.
 * Thrown only inside the lexer and parser; `compileFilter` turns it into `{ ok: false, reason }`.
 */
export class Sql92SyntaxError extends Error {
  override readonly name = 'Sql92SyntaxError';

  constructor(
    readonly detail: string,
    /** 0-based UTF-16 offset into the expression. */
    readonly position: number,
  ) {
    super(detail);
  }

  /** The message for clients: what is wrong, where (offset, line and column, 1-based). */
  describe(expression: string): string {
    const before = expression.slice(0, this.position);
    const line = before.split('\n').length;
    const column = this.position - (before.lastIndexOf('\n') + 1) + 1;
    return `SQL92 syntax error at position ${this.position} (line ${line}, column ${column}): ${this.detail}`;
  }
}
