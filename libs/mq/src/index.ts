/**
 * @app/mq: NestJS integration on the official RocketMQ 5 client (DESIGN.md section 2): MqModule,
 * the producer, consumer decorators and the @nestjs/microservices transport. This file is the
 * package's public API: import from `@app/mq` only; everything else is internal.
 */

/** Version of @app/mq; follows the repository's package.json version. */
export const MQ_VERSION = '0.1.0';

// Producing side
/** The module: `MqModule.forRoot(options)` / `forRootAsync({ useFactory, inject, isGlobal })`. */
export { MqModule } from './mq.module';
/** Token of the resolved module options (ResolvedMqOptions: defaults merged). */
export { MQ_MODULE_OPTIONS } from './mq.module-definition';
/** The options with defaults filled in, their defaults, and the merge. */
export { type ResolvedMqOptions, MQ_DEFAULTS, resolveMqOptions } from './mq.defaults';
/** Module options. */
export type { MqModuleOptions, MqTlsOptions } from './mq.options';
/** ACL credentials, and reading them from MQ_ACCESS_KEY / MQ_SECRET_KEY. */
export { type MqCredentials, mqCredentialsFromEnv } from './mq-credentials';
/** Injectable producer: `send(topic, payload, options)`, optional batching (`producer.lingerMs`). */
export { MqProducer } from './mq.producer';
/** Injectable transactional producer: `sendHalf()`, `registerChecker(topic, checker)`. */
export { MqTransactionProducer } from './mq-transaction.producer';
/** The @nestjs/microservices client: `client.emit(topic, payload)` produces. */
export { ClientRocketMQ, MqRecord } from './client-rocketmq';
/** The application's side of the message trace: `report(event)` (local transactions, consumer outcomes, notifications). */
export { MqTraceReporter, type MqTraceEvent } from './mq-trace-reporter';
/** Message, send options and receipt shapes. */
export type { MqMessage, MqSendOptions, MqSendReceipt } from './mq-message';
/** The send options' checks on their own (MQ_ERR_INVALID_OPTIONS), for a message sent later. */
export { assertMqSendOptions } from './build-message-options';
/** Half message, checker and resolution types. */
export type { MqHalfMessage, MqTransactionChecker, MqTransactionResolution } from './mq-transaction.types';
/** Prometheus metrics on `metrics.registry` (sends, consumes, check-back answers, trace drops), and their label values. */
export { MqMetrics, type MqSendResult, type MqConsumeResult, type MqCheckBackResult } from './mq.metrics';
/** Operating errors with stable codes (docs/errors.md). */
export { MqError, type MqErrorCode } from './mq.errors';
/** Payload <-> body (pluggable). */
export type { MqSerializer } from './mq-serializer';
/** The default serializer (JSON; Buffers pass through) and the property naming a body's encoding. */
export { JsonSerializer, CONTENT_TYPE_PROPERTY } from './json.serializer';
/** A payload that is already an encoded body (sent as is, its content type recorded): for stored messages. */
export { MqEncodedBody } from './mq-encoded-body';
/** The official client's MessageView as an MqMessage (for consumers). */
export { toMqMessage } from './map-message-view';

// Consuming side
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
