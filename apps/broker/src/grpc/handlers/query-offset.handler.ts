import { OffsetPolicy } from '../../delivery/delivery.types';
import { QueryOffsetRequest, QueryOffsetResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { timestampToMs } from '../proto-time';
import { selectQueue } from '../queue-selector';
import { RequestContext } from '../request-context';
import { OK_STATUS, status } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * QueryOffset: where a queue-offset consumer starts: the queue's first offset (BEGINNING), its end
 * (END), or the first message stored at or after a time (TIMESTAMP) (OffsetActivity.queryOffset).
 */
export class QueryOffsetHandler implements UnaryHandler<QueryOffsetRequest, QueryOffsetResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: QueryOffsetRequest, _context: RequestContext): Promise<QueryOffsetResponse> {
    const queue = selectQueue(this.parts, request.messageQueue, null);
    if ('status' in queue) return this.failure(queue.status);
    const policy = offsetPolicy(request);
    if ('status' in policy) return this.failure(policy.status);
    const offset = await this.parts.delivery.queryOffset(queue.topic.name, queue.queueId, policy);
    return { status: OK_STATUS, offset };
  }

  failure(status: Status): QueryOffsetResponse {
    return { status };
  }
}

/** BEGINNING is the proto's default (enum value 0), so a request without a policy reads from the start. */
function offsetPolicy(request: QueryOffsetRequest): OffsetPolicy | { status: Status } {
  switch (request.queryOffsetPolicy ?? 'BEGINNING') {
    case 'BEGINNING':
      return { type: 'BEGINNING' };
    case 'END':
      return { type: 'END' };
    case 'TIMESTAMP': {
      const timestampMs = timestampToMs(request.timestamp);
      if (timestampMs === undefined) return { status: status('BAD_REQUEST', 'timestamp is required for TIMESTAMP query offset policy') };
      return { type: 'TIMESTAMP', timestampMs };
    }
    default:
      return { status: status('BAD_REQUEST', `unsupported query offset policy: ${String(request.queryOffsetPolicy)}`) };
  }
}
