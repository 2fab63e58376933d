/**
 * @app/mq: NestJS integration on the official RocketMQ 5 client (DESIGN.md section 2): MqModule,
 * the producer, consumer decorators and the @nestjs/microservices transport. This is the
 * package's public API; later issues fill it, and until then it exports only its version.
 */

/** Version of @app/mq; follows the repository's package.json version. */
export const MQ_VERSION = '0.1.0';

// Consuming side (MQ-CONSUME)
/** Marks a provider method as a consumer: `@MqConsumer({ topic, group, filter?, fifo?, maxAttempts?, invisibleDurationMs?, concurrency? })`. */
export { MqConsumer, MQ_CONSUMER_METADATA } from './mq-consumer.decorator';
/** Options of @MqConsumer, the SQL filter shape, and the per-consumer defaults. */
export { type MqConsumerOptions, type MqSqlFilter, MQ_CONSUMER_DEFAULTS } from './mq-consumer.options';
/** Parameter decorators of @MqConsumer handlers (pipes apply): the payload (or one property) and the whole message. */
export { MqPayload, MqMessageParam } from './mq-consumer-params';
/** ExecutionContext#getType() inside @MqConsumer handlers: 'rocketmq'. */
export { MQ_CONTEXT_TYPE } from './mq-consumer.explorer';
/** Status of every consumer (@MqConsumer and ServerRocketMQ's), exported by MqModule. */
export { MqConsumerRegistry, type MqConsumerStatus } from './mq-consumer.registry';
/** The state a consumer runner reports. */
export type { MqConsumerRunnerState } from './mq-consumer.runner';
/** Terminus health indicator (producer running, consumers running, broker reachable); provide it beside TerminusModule. */
export { MqHealthIndicator } from './mq.health';
/** The @nestjs/microservices server: `@EventPattern('topic', { group?, filter? })` consumes; its context and options. */
export { ServerRocketMQ, MqContext, MQ_TRANSPORT, type ServerRocketMQOptions, type MqEventPatternExtras } from './server-rocketmq';
