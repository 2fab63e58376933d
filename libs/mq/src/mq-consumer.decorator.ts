import { SetMetadata } from '@nestjs/common';
import { MqConsumerOptions } from './mq-consumer.options';

/** Metadata key of `@MqConsumer()`, namespaced so no other library reads it by accident. */
export const MQ_CONSUMER_METADATA = 'app/mq:consumer';

/**
 * Marks a provider method as the handler of a consumer group on a topic (STYLE 13: it only
 * declares; MqConsumerExplorer finds it at bootstrap and wires it through Nest's context creator,
 * so guards, interceptors, pipes and exception filters apply). The handler gets the MqMessage;
 * when its promise (or observable) completes the message is acknowledged, when it throws the
 * message comes back after the module's retry delay, and past `maxAttempts` it is dead-lettered.
 */
export const MqConsumer = (options: MqConsumerOptions): MethodDecorator => SetMetadata(MQ_CONSUMER_METADATA, options);
