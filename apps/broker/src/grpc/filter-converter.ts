import { compileFilter } from '../delivery/filter/compile-filter';
import { FilterExpression } from '../delivery/filter/filter-expression';
import { FilterExpression as ProtoFilterExpression, Status } from './messaging.types';
import { Statuses, status } from './status-codes';

/**
 * A subscription's filter as the delivery engine takes it. A missing or unspecified type is a
 * TAG expression (GrpcConverter.buildExpressionType); a missing expression subscribes to all.
 */
export function filterOf(proto: ProtoFilterExpression | undefined): FilterExpression | { status: Status } {
  const expression = proto?.expression ?? '';
  switch (proto?.type ?? 'FILTER_TYPE_UNSPECIFIED') {
    case 'FILTER_TYPE_UNSPECIFIED':
    case 'TAG':
      return { type: 'TAG', expression };
    case 'SQL':
      return { type: 'SQL92', expression };
    default:
      return { status: status('ILLEGAL_FILTER_EXPRESSION', `unknown filter type ${String(proto?.type)}`) };
  }
}

/** The filter, checked by compiling it (ClientActivity.buildSubscriptionData). */
export function compiledFilterProblem(proto: ProtoFilterExpression | undefined): Status | undefined {
  const filter = filterOf(proto);
  if ('status' in filter) return filter.status;
  const compiled = compileFilter(filter);
  return compiled.ok ? undefined : Statuses.illegalFilter(`expression format is not correct: ${compiled.reason}`);
}
