import { Status, UpdateOffsetRequest, UpdateOffsetResponse } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { selectQueue } from '../queue-selector';
import { RequestContext } from '../request-context';
import { OK_STATUS, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * UpdateOffset: commits a queue-offset consumer's position on one queue (PullMessageActivity.updateOffset).
 * An offset that is negative, not an integer, or past the queue's max offset is ILLEGAL_OFFSET
 * (see status-codes.ts for why this broker refuses what Apache's stores).
 */
export class UpdateOffsetHandler implements UnaryHandler<UpdateOffsetRequest, UpdateOffsetResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: UpdateOffsetRequest, _context: RequestContext): Promise<UpdateOffsetResponse> {
    const queue = selectQueue(this.parts, request.messageQueue, request.group);
    if ('status' in queue) return this.failure(queue.status);
    const offset = request.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) return this.failure(Statuses.illegalOffset(`offset must not be negative, got ${offset}`));
    const result = await this.parts.delivery.updateOffset(queue.group, queue.topic.name, queue.queueId, offset);
    if (result.status === 'topic-not-found') return this.failure(Statuses.topicNotFound(queue.topic.name));
    if (result.status === 'offset-out-of-range') {
      return this.failure(Statuses.illegalOffset(`offset ${offset} is past the max offset ${result.maxOffset} of ${queue.topic.name} queue ${queue.queueId}`));
    }
    return { status: OK_STATUS };
  }

  failure(status: Status): UpdateOffsetResponse {
    return { status };
  }
}
