import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { MqConsumer, type MqConsumerOptions, type MqMessage } from '@app/mq';
import { MAX_GROUP_COMMIT_MESSAGES } from './idempotent-consumer-group-commit';
import { OutboxError } from '../outbox.errors';
import { IDEMPOTENT_CONSUMER_METADATA, IdempotentConsumerInterceptor, type IdempotentConsumerMetadata } from './idempotent-consumer.interceptor';

/** What @IdempotentConsumer takes: an @MqConsumer's options plus the dedupe key. */
export interface IdempotentConsumerOptions extends MqConsumerOptions {
  /**
   * The dedupe key of a message within the group (default: its first message key, else its
   * message id). Two messages with one key are one effect: the second is acked unhandled.
   */
  key?: (message: MqMessage) => string;
  /**
   * Group commit (idempotent-consumer-group-commit.ts): the messages a receive brings, up to
   * `maxMessages` (default and most: 32), share one local transaction and one commit, their
   * handlers running one after the other in it. A failure anywhere rolls the batch back and runs
   * each message alone, so a handler may run twice, the first run rolled back. For short handlers
   * whose effects are SQL. Off by default.
   */
  groupCommit?: boolean | { maxMessages: number };
}

/**
 * An @MqConsumer whose effect happens once per message key and group: the handler runs inside a
 * local transaction that first inserts `mq_consumed(group, key)`. A duplicate delivery finds the
 * row (waiting for a concurrent first delivery to finish), skips the handler and is acked; a
 * failing handler rolls back both, so the broker redelivers. The handler's repositories join the
 * transaction through nestjs-cls (TransactionHost). Keys are kept for `consumed.retentionMs`
 * (default 7 days): the dedupe window. Needs OutboxModule (IdempotentConsumerInterceptor).
 */
export function IdempotentConsumer(options: IdempotentConsumerOptions): MethodDecorator {
  const { key, groupCommit, ...consumerOptions } = options;
  return applyDecorators(
    MqConsumer(consumerOptions),
    SetMetadata(IDEMPOTENT_CONSUMER_METADATA, {
      group: options.group,
      key,
      groupCommitMessages: groupCommitMessages(groupCommit, options.group),
    } satisfies IdempotentConsumerMetadata),
    UseInterceptors(IdempotentConsumerInterceptor),
  );
}

function groupCommitMessages(groupCommit: IdempotentConsumerOptions['groupCommit'], group: string): number | undefined {
  if (groupCommit === undefined || groupCommit === false) return undefined;
  if (groupCommit === true) return MAX_GROUP_COMMIT_MESSAGES;
  const { maxMessages } = groupCommit;
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > MAX_GROUP_COMMIT_MESSAGES) {
    throw new OutboxError(
      'OUTBOX_ERR_INVALID_OPTIONS',
      `@IdempotentConsumer of group ${group}: groupCommit.maxMessages must be an integer from 1 to ${MAX_GROUP_COMMIT_MESSAGES}, got ${String(maxMessages)}`,
      { group },
    );
  }
  return maxMessages;
}
