import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { MqConsumer, type MqConsumerOptions, type MqMessage } from '@app/mq';
import { IDEMPOTENT_CONSUMER_METADATA, IdempotentConsumerInterceptor, type IdempotentConsumerMetadata } from './idempotent-consumer.interceptor';

/** What @IdempotentConsumer takes: an @MqConsumer's options plus the dedupe key. */
export interface IdempotentConsumerOptions extends MqConsumerOptions {
  /**
   * The dedupe key of a message within the group (default: its first message key, else its
   * message id). Two messages with one key are one effect: the second is acked unhandled.
   */
  key?: (message: MqMessage) => string;
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
  const { key, ...consumerOptions } = options;
  return applyDecorators(
    MqConsumer(consumerOptions),
    SetMetadata(IDEMPOTENT_CONSUMER_METADATA, { group: options.group, key } satisfies IdempotentConsumerMetadata),
    UseInterceptors(IdempotentConsumerInterceptor),
  );
}
