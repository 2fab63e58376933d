import { AckMessageEntry, AckMessageRequest, AckMessageResponse, AckMessageResultEntry, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { validGroup, validTopic } from '../request-validator';
import { batchStatus, receiptStatus, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * AckMessage: acknowledges received messages by receipt handle, each entry on its own
 * (AckMessageActivity). The response has one result per entry; its status is the entries' common
 * code, or MULTIPLE_RESULTS when they differ.
 */
export class AckMessageHandler implements UnaryHandler<AckMessageRequest, AckMessageResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: AckMessageRequest, context: RequestContext): Promise<AckMessageResponse> {
    const topic = validTopic(request.topic);
    if ('status' in topic) return this.failure(topic.status);
    const group = validGroup(request.group);
    if ('status' in group) return this.failure(group.status);
    const entries = request.entries ?? [];
    if (entries.length === 0) return this.failure(Statuses.badRequest('no entry to acknowledge'));
    const results = await Promise.all(entries.map((entry) => this.ackOne(group.name, topic.name, entry, context.clientId)));
    return { status: batchStatus(results.map((result) => result.status)), entries: results };
  }

  failure(status: Status): AckMessageResponse {
    return { status };
  }

  private async ackOne(group: string, topic: string, entry: AckMessageEntry, clientId: string): Promise<AckMessageResultEntry> {
    const messageId = entry.messageId ?? '';
    const receiptHandle = entry.receiptHandle ?? '';
    if (receiptHandle === '') return { messageId, receiptHandle, status: Statuses.invalidReceiptHandle('receipt handle cannot be empty') };
    const result = await this.parts.delivery.ack(group, topic, receiptHandle);
    if (result.status === 'ok') this.parts.trace?.record({ type: 'SubAfter', timeMs: Date.now(), messageId, topic, keys: [], group, clientId });
    return { messageId, receiptHandle, status: receiptStatus(result, topic) };
  }
}
