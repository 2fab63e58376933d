import { TraceSink } from '../trace/trace-events';
import { Logger } from 'pino';
import { copyMessage, CopyOriginProperty } from '../publishing/message-copy';
import { MessageInput, StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { TopicsApi, dlqTopicOf } from '../topics/topic-config';

/**
 * Properties a dead-letter copy carries, with Apache RocketMQ's names (MessageConst): the proxy
 * reads `DLQ_ORIGIN_TOPIC` / `DLQ_ORIGIN_MESSAGE_ID`, and `RECONSUME_TIME` is RocketMQ's count of
 * redeliveries, here the deliveries the group made before giving up.
 */
export const DeadLetterProperty = {
  OriginTopic: CopyOriginProperty.DlqOriginTopic,
  OriginMessageId: CopyOriginProperty.DlqOriginMessageId,
  /** RocketMQ 4's name for the origin topic, still read by older tools. */
  RetryTopic: CopyOriginProperty.RetryTopic,
  ReconsumeTimes: CopyOriginProperty.ReconsumeTimes,
} as const;

export type DeadLetterResult = { status: 'ok' } | { status: 'failed'; reason: string };

/**
 * Moves messages a group gave up on to its dead-letter topic `%DLQ%<group>`: a real topic with
 * one queue, created on first use (and again if an operator deleted it), that operators can inspect and consume. The copy keeps the
 * original message id, keys, tag, message group, body and user properties.
 */
export class DeadLetterQueue {
  constructor(
    private readonly store: MessageStore,
    private readonly topics: TopicsApi,
    private readonly logger: Logger,
  ) {}

  /** Where a move is reported as a DeadLetter trace event (the broker's TraceRecorder). */
  trace: TraceSink | undefined;

  async forward(group: string, message: StoredMessage, attempts: number): Promise<DeadLetterResult> {
    const topic = dlqTopicOf(group);
    try {
      if (!this.topics.get(topic)) await this.topics.upsert({ name: topic, readQueueNums: 1, writeQueueNums: 1, messageType: 'NORMAL', system: true });
    } catch (error) {
      this.logger.error({ err: error, group, topic }, 'cannot create dead-letter topic');
      return { status: 'failed', reason: `cannot create dead-letter topic ${topic}: ${(error as Error).message}` };
    }
    const result = await this.store.append(deadLetterCopy(topic, message, attempts));
    if (result.status !== 'ok') {
      this.logger.error({ group, topic, messageId: message.messageId, result }, 'cannot append dead-letter message');
      return { status: 'failed', reason: `cannot append to ${topic}: ${result.status}` };
    }
    this.trace?.record({
      type: 'DeadLetter',
      timeMs: Date.now(),
      messageId: message.messageId,
      topic: message.topic,
      keys: message.keys,
      group,
      deadLetterTopic: topic,
      attempts,
    });
    this.logger.info(
      { group, topic: message.topic, queueId: message.queueId, queueOffset: message.queueOffset, messageId: message.messageId, attempts },
      'message moved to dead-letter queue',
    );
    return { status: 'ok' };
  }
}

/** The copy appended to the dead-letter topic: the message as its group received it, plus where it came from. */
export function deadLetterCopy(dlqTopic: string, message: StoredMessage, attempts: number): MessageInput {
  return copyMessage(message, {
    topic: dlqTopic,
    queueId: 0,
    addedProperties: {
      [DeadLetterProperty.OriginTopic]: message.topic,
      [DeadLetterProperty.OriginMessageId]: message.messageId,
      [DeadLetterProperty.RetryTopic]: message.topic,
      [DeadLetterProperty.ReconsumeTimes]: String(attempts),
    },
  });
}
