import { CompileFilterResult, FilterExpression } from './filter-expression';
import { compileSql92Filter } from './sql92-filter';
import { compileTagFilter } from './tag-filter';

/**
 * Compiles a subscription's filter expression once, when a consumer subscribes; the delivery
 * engine then calls `matchesTagHash` on consume-queue entries and `matches` on read messages.
 * An illegal expression comes back as `{ ok: false, reason }` (the gRPC layer answers
 * ILLEGAL_FILTER_EXPRESSION); compiling never throws.
 */
export function compileFilter(expression: FilterExpression): CompileFilterResult {
  switch (expression.type) {
    case 'TAG':
      return compileTagFilter(expression);
    case 'SQL92':
      return compileSql92Filter(expression);
    default:
      return { ok: false, reason: `unknown filter expression type ${(expression as { type: unknown }).type}` };
  }
}
