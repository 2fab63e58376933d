import { GetOffsetRequest, GetOffsetResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { selectQueue } from '../queue-selector';
import { RequestContext } from '../request-context';
import { OK_STATUS, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * GetOffset: a queue-offset consumer's committed position on one queue (OffsetActivity.getOffset).
 * A group that never committed one gets OFFSET_NOT_FOUND (the proxy passes the broker's
 * QUERY_NOT_FOUND through as INTERNAL_SERVER_ERROR; the protocol has a code for exactly this).
 */
export class GetOffsetHandler implements UnaryHandler<GetOffsetRequest, GetOffsetResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: GetOffsetRequest, _context: RequestContext): Promise<GetOffsetResponse> {
    const queue = selectQueue(this.parts, request.messageQueue, request.group);
    if ('status' in queue) return this.failure(queue.status);
    const offset = this.parts.delivery.getOffset(queue.group, queue.topic.name, queue.queueId);
    if (offset < 0) return this.failure(Statuses.offsetNotFound(queue.group, queue.topic.name, queue.queueId));
    return { status: OK_STATUS, offset };
  }

  failure(status: Status): GetOffsetResponse {
    return { status };
  }
}
