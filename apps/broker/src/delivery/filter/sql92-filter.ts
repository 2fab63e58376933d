import { StoredMessage } from '../../store/message-record';
import { CompileFilterResult, CompiledFilter, FilterExpression } from './filter-expression';
import { Sql92Node } from './sql92-ast';
import { evaluateSql92 } from './sql92-evaluator';
import { parseSql92 } from './sql92-parser';
import { Sql92SyntaxError } from './sql92-syntax-error';

/** Longer SQL92 expressions are refused (UTF-8 bytes), bounding parse time and tree size. */
export const SQL92_MAX_EXPRESSION_BYTES = 4096;

/**
 * Compiles a SQL92 expression. As in RocketMQ's FilterAPI.build, an empty expression is illegal
 * for SQL92 (a TAG filter is the way to take everything).
 */
export function compileSql92Filter(expression: FilterExpression & { type: 'SQL92' }): CompileFilterResult {
  const text = expression.expression ?? '';
  if (text.trim() === '') return { ok: false, reason: 'SQL92 expression is empty' };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > SQL92_MAX_EXPRESSION_BYTES) {
    return { ok: false, reason: `SQL92 expression is ${bytes} bytes, more than the limit of ${SQL92_MAX_EXPRESSION_BYTES}` };
  }
  try {
    return { ok: true, filter: new Sql92Filter(expression, parseSql92(text)) };
  } catch (error) {
    if (error instanceof Sql92SyntaxError) return { ok: false, reason: error.describe(text) };
    throw error;
  }
}

/** Tag hashes say nothing about properties, so every consume-queue entry is a candidate. */
class Sql92Filter implements CompiledFilter {
  constructor(
    readonly expression: FilterExpression,
    private readonly root: Sql92Node,
  ) {}

  matchesTagHash(): boolean {
    return true;
  }

  matches(message: StoredMessage): boolean {
    return evaluateSql92(this.root, message) === true;
  }
}
