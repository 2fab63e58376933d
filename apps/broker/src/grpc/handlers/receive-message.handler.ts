import { ReceivedMessage } from '../../delivery/delivery.types';
import { filterOf } from '../filter-converter';
import { longPollingTimeMs } from '../long-polling';
import { toProtoMessage } from '../message-converter';
import { ReceiveMessageRequest, ReceiveMessageResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { durationToMs, msToTimestamp } from '../proto-time';
import { RequestContext } from '../request-context';
import { validGroup, validTopic } from '../request-validator';
import { OK_STATUS, receiveFailureStatus, status, Statuses } from '../status-codes';
import { isReadable } from '../topic-route';
import { StreamHandler } from './handler.types';

/**
 * Largest batch one receive pops; a larger request is cut to it, as the proxy's
 * ConsumerProcessor.popMessage does (ProxyUtils.MAX_MSG_NUMS_FOR_POP_REQUEST), and as the delivery
 * engine's default `maxBatchSize` allows.
 */
export const MAX_RECEIVE_BATCH_SIZE = 32;

/** Invisible duration given back to messages that were popped for a client that went away (the proxy's NACK_INVISIBLE_TIME). */
export const NACK_INVISIBLE_DURATION_MS = 1_000;

/**
 * ReceiveMessage: pops messages for a consumer group, making them invisible to the group for the
 * invisible duration, with long polling (ReceiveMessageActivity). The stream is, as the proxy
 * writes it (ReceiveMessageResponseStreamWriter): a status (OK, or MESSAGE_NOT_FOUND when the long
 * poll ended empty, or the error), then the messages, then the delivery timestamp.
 *
 * Like the proxy, it pops from every queue of the topic whatever queue the request names: the
 * request's queue only routes it to this broker. (The official Node client's load balancers only
 * ever pick queue 0, and a simple consumer asking one empty queue would otherwise wait out its
 * long poll while messages sit in another.)
 */
export class ReceiveMessageHandler implements StreamHandler<ReceiveMessageRequest, ReceiveMessageResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: ReceiveMessageRequest, context: RequestContext, write: (frame: ReceiveMessageResponse) => void): Promise<void> {
    const checked = this.check(request, context);
    if ('status' in checked) return this.failure(checked.status).forEach(write);
    const { topic, group, invisibleDurationMs } = checked;
    const result = await this.parts.delivery.receive({
      group,
      topic,
      filter: checked.filter,
      batchSize: Math.min(checked.batchSize, MAX_RECEIVE_BATCH_SIZE),
      invisibleDurationMs,
      autoRenew: checked.autoRenew,
      longPollingTimeoutMs: checked.longPollingMs,
      clientId: context.clientId,
      signal: context.signal,
    });
    if (result.status !== 'ok') return this.failure(receiveFailureStatus(result, topic)).forEach(write);
    if (result.messages.length === 0) return this.failure(Statuses.noNewMessage()).forEach(write);
    if (context.cancelled()) return this.giveBack(group, topic, result.messages, context);
    write({ status: OK_STATUS });
    const storeHost = this.storeHost();
    const trace = this.parts.trace;
    for (const received of result.messages) {
      trace?.record({
        type: 'SubBefore',
        timeMs: Date.now(),
        messageId: received.message.messageId,
        topic,
        keys: received.message.keys,
        group,
        clientId: context.clientId,
        attempt: received.deliveryAttempt,
      });
      const message = toProtoMessage(received.message, {
        receiptHandle: received.receiptHandle,
        deliveryAttempt: received.deliveryAttempt,
        invisibleDurationMs,
        storeHost,
      });
      write({ message });
    }
    write({ deliveryTimestamp: msToTimestamp(Date.now()) });
  }

  failure(status: Status): ReceiveMessageResponse[] {
    return [{ status }, { deliveryTimestamp: msToTimestamp(Date.now()) }];
  }

  private check(request: ReceiveMessageRequest, context: RequestContext) {
    const topicName = validTopic(request.messageQueue?.topic);
    if ('status' in topicName) return topicName;
    const groupName = validGroup(request.group);
    if ('status' in groupName) return groupName;
    const topic = this.parts.topics.get(topicName.name);
    if (!topic) return { status: Statuses.topicNotFound(topicName.name) };
    if (!isReadable(topic)) return { status: Statuses.noReadableQueue() };
    const filter = filterOf(request.filterExpression);
    if ('status' in filter) return filter;
    const batchSize = request.batchSize ?? 0;
    if (!Number.isInteger(batchSize) || batchSize < 1) return { status: status('BAD_REQUEST', `batch size must be at least 1, got ${batchSize}`) };
    const clientRequestTimeoutMs = durationToMs(this.parts.sessions.settingsOf(context.clientId)?.requestTimeout);
    const polling = longPollingTimeMs(request.longPollingTimeout, clientRequestTimeoutMs, context, this.parts.options);
    if ('status' in polling) return polling;
    // A push consumer asks the broker to keep renewing its messages (auto_renew) and sends no
    // duration; the proxy then uses its default invisible time. A missing duration otherwise
    // reads as 0 and is refused by the delivery engine as too short, as the proxy refuses it.
    const invisibleDurationMs = request.autoRenew ? this.parts.options.autoRenewInvisibleDurationMs : (durationToMs(request.invisibleDuration) ?? 0);
    return {
      topic: topic.name,
      group: groupName.name,
      filter,
      batchSize,
      longPollingMs: polling.ms,
      invisibleDurationMs,
      autoRenew: request.autoRenew === true,
    };
  }

  /** The client went away while messages were being popped: make them visible again soon. */
  private async giveBack(group: string, topic: string, messages: ReceivedMessage[], context: RequestContext): Promise<void> {
    for (const received of messages) {
      await this.parts.delivery.changeInvisibleDuration(group, topic, received.receiptHandle, NACK_INVISIBLE_DURATION_MS);
    }
    context.logger.debug({ group, topic, count: messages.length }, 'receiver went away; messages made visible again');
  }

  private storeHost(): string {
    const { host, port } = this.parts.address();
    return `${host}:${port}`;
  }
}
