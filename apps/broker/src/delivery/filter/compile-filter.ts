import { CompileFilterResult, FilterExpression } from './filter-expression';
import { compileSql92Filter } from './sql92-filter';
import { compileTagFilter } from './tag-filter';

/**
 * Compiles a subscription's filter expression: the telemetry handler does it to check a
 * subscription, and the delivery engine once per receive or pull (about 1 µs for a tag list,
 * 5 µs for a SQL92 expression, small beside the call), then calls `matchesTagHash` on
 * consume-queue entries and `matches` on read messages.
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
      return { ok: false, reason: `unknown filter expression type ${String((expression as { type: unknown }).type)}` };
  }
}
