import { RecallMessageRequest, RecallMessageResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { decodeRecallHandle } from '../recall-handle';
import { RequestContext } from '../request-context';
import { validTopic } from '../request-validator';
import { OK_STATUS, status, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * RecallMessage: cancels a delayed message that is not due yet, named by the recall handle its
 * send receipt carried (the official clients' `recallMessage(topic, handle)`). Apache's broker
 * (RecallMessageProcessor) checks the topic, that the handle decodes and names that topic and
 * this broker, and that its delivery time is still ahead; it then answers OK with the message id
 * whether or not such a message waits. The same checks and answers here, with its texts; the
 * cancellation is on disk before the answer (DelaySchedulerApi.recall).
 */
export class RecallMessageHandler implements UnaryHandler<RecallMessageRequest, RecallMessageResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: RecallMessageRequest, _context: RequestContext): Promise<RecallMessageResponse> {
    const topicName = validTopic(request.topic);
    if ('status' in topicName) return this.failure(topicName.status);
    if (!this.parts.topics.get(topicName.name)) return this.failure(Statuses.topicNotFound(topicName.name));
    const handle = decodeRecallHandle(request.recallHandle ?? '');
    if (!handle) return this.failure(status('BAD_REQUEST', 'recall handle is invalid'));
    if (handle.topic !== topicName.name) return this.failure(status('BAD_REQUEST', 'recall failed, topic not match'));
    if (handle.brokerName !== this.parts.config.brokerName) return this.failure(status('BAD_REQUEST', 'recall failed, broker service not available'));
    if (handle.deliveryTimestampMs <= Date.now()) return this.failure(status('BAD_REQUEST', 'recall failed, timestamp invalid'));
    // As Apache, OK whether or not such a message was waiting; an error only when nothing could be recorded.
    if ((await this.parts.scheduler.recall(handle.topic, handle.messageId)) === 'unavailable') {
      return this.failure(status('INTERNAL_SERVER_ERROR', 'recall failed, execute error'));
    }
    return { status: OK_STATUS, messageId: handle.messageId };
  }

  failure(failed: Status): RecallMessageResponse {
    return { status: failed, messageId: '' };
  }
}
