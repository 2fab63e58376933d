import { filterOf } from '../filter-converter';
import { longPollingTimeMs } from '../long-polling';
import { toProtoMessage } from '../message-converter';
import { PullMessageRequest, PullMessageResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { durationToMs } from '../proto-time';
import { selectQueue } from '../queue-selector';
import { RequestContext } from '../request-context';
import { OK_STATUS, pullFailureStatus, status, Statuses } from '../status-codes';
import { StreamHandler } from './handler.types';

/**
 * PullMessage: reads a queue from an explicit offset, for consumers that keep their own position
 * (PullMessageActivity). Nothing is made invisible and the group's state does not change. The
 * stream is a status (OK, MESSAGE_NOT_FOUND when nothing arrived before the long poll ended,
 * ILLEGAL_OFFSET, or the error), the messages, then the offset to pull from next
 * (PullMessageResponseStreamWriter).
 */
export class PullMessageHandler implements StreamHandler<PullMessageRequest, PullMessageResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: PullMessageRequest, context: RequestContext, write: (frame: PullMessageResponse) => void): Promise<void> {
    const queue = selectQueue(this.parts, request.messageQueue, request.group);
    if ('status' in queue) return this.failure(queue.status).forEach(write);
    const offset = request.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) return this.failure(Statuses.illegalOffset(`offset must not be negative, got ${offset}`)).forEach(write);
    const batchSize = request.batchSize ?? 0;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      return this.failure(status('BAD_REQUEST', `batch size must be at least 1, got ${batchSize}`)).forEach(write);
    const filter = filterOf(request.filterExpression);
    if ('status' in filter) return this.failure(filter.status).forEach(write);
    const clientRequestTimeoutMs = durationToMs(this.parts.sessions.settingsOf(context.clientId)?.requestTimeout);
    const polling = longPollingTimeMs(request.longPollingTimeout, clientRequestTimeoutMs, context, this.parts.options);
    if ('status' in polling) return this.failure(polling.status).forEach(write);

    const result = await this.parts.delivery.pull({
      group: queue.group,
      topic: queue.topic.name,
      queueId: queue.queueId,
      offset,
      batchSize,
      filter,
      longPollingTimeoutMs: polling.ms,
      signal: context.signal,
    });
    if (result.status === 'offset-out-of-range') {
      write({ status: pullFailureStatus(result, queue.topic.name) });
      write({ nextOffset: Math.min(Math.max(offset, result.minOffset), result.maxOffset) });
      return;
    }
    if (result.status !== 'ok') return this.failure(pullFailureStatus(result, queue.topic.name)).forEach(write);
    if (result.messages.length === 0) {
      write({ status: Statuses.noNewMessage() });
    } else {
      write({ status: OK_STATUS });
      const { host, port } = this.parts.address();
      for (const stored of result.messages) write({ message: toProtoMessage(stored, { deliveryAttempt: 1, storeHost: `${host}:${port}` }) });
    }
    write({ nextOffset: result.nextOffset });
  }

  failure(status: Status): PullMessageResponse[] {
    return [{ status }];
  }
}
