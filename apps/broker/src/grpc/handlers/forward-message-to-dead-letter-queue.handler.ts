import { ForwardMessageToDeadLetterQueueRequest, ForwardMessageToDeadLetterQueueResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { validGroup, validTopic } from '../request-validator';
import { receiptStatus, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * ForwardMessageToDeadLetterQueue: the client gave up on a received message (a FIFO push consumer
 * that ran out of local attempts); the broker moves it to the group's `%DLQ%<group>` topic and
 * acknowledges it (ForwardMessageToDLQActivity).
 */
export class ForwardMessageToDeadLetterQueueHandler implements UnaryHandler<ForwardMessageToDeadLetterQueueRequest, ForwardMessageToDeadLetterQueueResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: ForwardMessageToDeadLetterQueueRequest, _context: RequestContext): Promise<ForwardMessageToDeadLetterQueueResponse> {
    const topic = validTopic(request.topic);
    if ('status' in topic) return this.failure(topic.status);
    const group = validGroup(request.group);
    if ('status' in group) return this.failure(group.status);
    const receiptHandle = request.receiptHandle ?? '';
    if (receiptHandle === '') return this.failure(Statuses.invalidReceiptHandle('receipt handle cannot be empty'));
    const result = await this.parts.delivery.forwardToDeadLetterQueue(group.name, topic.name, receiptHandle);
    return { status: receiptStatus(result, topic.name) };
  }

  failure(status: Status): ForwardMessageToDeadLetterQueueResponse {
    return { status };
  }
}
