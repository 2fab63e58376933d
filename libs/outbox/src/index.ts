/**
 * @app/outbox: the TypeORM/PostgreSQL side of transactional messaging (DESIGN.md section 4):
 * @TransactionalMessage, automatic check-back, idempotent consumers, the outbox relay and
 * best-effort notification. This file is the package's public API: import from `@app/outbox`
 * only; everything else is internal.
 */

/** Version of @app/outbox; follows the repository's package.json version. */
export const OUTBOX_VERSION = '0.1.0';

// --- Transactional messages (half-message mode, check-back, listeners) ---

/** The module: `OutboxModule.forRoot({ schema, migrationsRun, checkBack, channel, relay, consumed, metrics, hooks })` / `forRootAsync(...)`. */
export { OutboxModule } from './outbox.module';
/** The ClsModule (nestjs-cls + TypeORM transactional adapter) the application registers once for OutboxModule and NotificationModule. */
export { outboxClsModule } from './typeorm/outbox-cls.module';
/** Injection token of the resolved options, the raw-options token forRootAsync fills, and the extras (`isGlobal`, `dataSourceName`, `transactionConnectionName`). */
export { OUTBOX_MODULE_OPTIONS, OUTBOX_RAW_OPTIONS, type OutboxModuleExtras } from './outbox.module-definition';
/** The TransactionRunner on the application's DataSource and TransactionHost, one per connection, shared by OutboxModule and NotificationModule. */
export { OUTBOX_TRANSACTION_RUNNER } from './typeorm/outbox-transaction.module';
/** Options of OutboxModule, and the fault-injection steps of `hooks.onStep`. */
export type { OutboxModuleOptions, TransactionalMessageStep, TransactionalMessageStepContext } from './outbox.options';
/** The module's Prometheus metrics (on `metrics.registry`): relay backlog, rows relayed, duplicates skipped, local transactions. */
export { OutboxMetrics, type LocalTransactionResult } from './outbox.metrics';
/** The defaults (schema 'public', lock timeout 5 s, relay and dedupe windows; one object) and the resolved options type. */
export { OUTBOX_DEFAULTS, type ResolvedOutboxOptions } from './outbox.defaults';
/** The package's typed error: match on `code` (docs/errors.md). */
export { isRetryableOutboxError, OutboxError, type OutboxErrorCode, RETRYABLE_OUTBOX_ERROR_CODES } from './outbox.errors';
/** The outbox migrations for a schema, for a DataSource's `migrations` option and `dataSource.runMigrations()`. */
export { outboxMigrations } from './typeorm/migrations/outbox-migrations';
/** Every outbox entity in one schema (give it OutboxModule's `schema`), for a DataSource's `entities` option. */
export { outboxEntities } from './typeorm/entities/outbox-entities';
/** The `mq_transaction` entity in a schema (an EntitySchema per schema, default 'public') and its row type. */
export { mqTransactionEntity, type MqTransactionRow } from './typeorm/entities/mq-transaction.entity';
/** What a `mq_transaction` row records: 'committed' or 'rolled_back'. */
export type { MqTransactionStatus } from './sql/transaction.sql';
/** Sends a message iff the method's local transaction commits. */
export { TransactionalMessage, type TransactionalMessageOptions } from './transactional-message/transactional-message.decorator';
/** Explicit local-transaction control (execute + check), rocketmq-spring style. */
export {
  TransactionListener,
  type TransactionListenerOptions,
  type TransactionListenerHandler,
  type HalfMessageSent,
} from './transactional-message/transaction-listener.decorator';
/** `sendInTransaction(topic, payload, arg, options?)` for @TransactionListener topics. */
export { TransactionalSender, type TransactionSendResult } from './transactional-message/transactional-sender';
/** The narrow "run this in a transaction" interface the check-back and the flow depend on. */
export type { TransactionRunner, SqlClient, SqlStatement } from './transaction-runner';
/** Deletes `mq_transaction` decisions older than `checkBack.retentionMs` (default 7 days); started by OutboxModule. */
export { TransactionPruner } from './check-back/transaction-pruner';
/** The race-free check-back, usable directly (e.g. from an operator tool) with any TransactionRunner. */
export { TransactionCheckBack } from './check-back/transaction-check-back';

// --- Outbox mode, the relay and idempotent consumers ---

/** Writes a message into `mq_outbox` inside the active transaction (outbox mode); OUTBOX_ERR_NO_TRANSACTION outside one. */
export { OutboxWriter, type OutboxEntry } from './relay/outbox-writer';
/** Sends `mq_outbox` rows (LISTEN/NOTIFY + polling, SKIP LOCKED, per-group order, back-off, pruning); started by OutboxModule. */
export { OutboxRelay } from './relay/outbox-relay';
/** An @MqConsumer whose effect happens once per (group, key): handler and `mq_consumed` insert in one transaction. */
export { IdempotentConsumer, type IdempotentConsumerOptions } from './idempotent-consumer/idempotent-consumer.decorator';
/** The interceptor behind @IdempotentConsumer (provided by OutboxModule). */
export { IdempotentConsumerInterceptor } from './idempotent-consumer/idempotent-consumer.interceptor';
/** Deletes `mq_consumed` rows older than `consumed.retentionMs` (the dedupe window, default 7 days). */
export { ConsumedPruner } from './idempotent-consumer/consumed-pruner';
/** TypeORM mappings of `mq_outbox` and `mq_consumed` in a schema (an EntitySchema per schema, default 'public'), for applications that query them. */
export { mqOutboxEntity, type MqOutboxRow, type MqOutboxStatus } from './typeorm/entities/mq-outbox.entity';
export { mqConsumedEntity, type MqConsumedRow } from './typeorm/entities/mq-consumed.entity';

// --- Best-effort notification (webhooks) ---

/** The module: `NotificationModule.forRoot({ workerEnabled, retryLadderMs, allowedAddresses, clock, metrics, ... })`; extras `dataSourceName`, `transactionConnectionName`, `isGlobal`. */
export { NotificationModule } from './notification/notification.module';
/** Injection tokens: resolved options, the prom-client Registry with the metrics (expose it on /metrics), the TransactionRunner used (an alias of OUTBOX_TRANSACTION_RUNNER). */
export { NOTIFICATION_OPTIONS, NOTIFICATION_METRICS_REGISTRY, NOTIFICATION_TRANSACTION_RUNNER } from './notification/notification.module-definition';
/** Options of NotificationModule, their defaults (the WeChat Pay ladder, 10 s timeout, 120 h breaker) and the resolved type. */
export type { NotificationModuleOptions } from './notification/notification.options';
export { NOTIFICATION_DEFAULTS, DEFAULT_RETRY_LADDER_MS, type ResolvedNotificationOptions } from './notification/notification.defaults';
/** Notify after a provider method succeeds, in the method's transaction (wired by NotificationModule). */
export { BestEffortNotify, type BestEffortNotifyOptions } from './notification/best-effort-notify.decorator';
/** notify() inside the business transaction; endpoints; failed listing and manual re-send. */
export { NotificationService, type NotifyRequest } from './notification/notification.service';
/** The delivery worker (started at bootstrap unless `workerEnabled: false`; `runOnce()` for tests and cron-style use). */
export { NotificationDeliveryWorker } from './notification/notification-delivery.worker';
/** Deletes delivered notifications (and their attempts) older than `retentionMs` (30 days); started by NotificationModule. */
export { NotificationPruner } from './notification/notification-pruner';
/** Where the notification code reads the time; ManualClock for tests that walk the ladder. */
export { systemClock, ManualClock, type NotificationClock } from './notification/notification-clock';
/** The typed error of notification (codes `OUTBOX_ERR_NOTIFY_*`, docs/errors.md). */
/** Standard Webhooks signing: a new `whsec_` secret, the signature header. */
export { generateWebhookSecret, signWebhook } from './notification/webhook-signature';
/** Receiver: verify signature and timestamp on the raw body (function, and a guard needing `NestFactory.create(AppModule, { rawBody: true })`). */
export { verifyWebhook, type VerifiedWebhook, type WebhookVerifyOptions } from './notification/webhook-verifier';
export { WebhookSignatureGuard } from './notification/webhook-signature.guard';
/** Receiver: run a handler once per webhook-id (or business key) through `mq_consumed`. */
export { WebhookInbox } from './notification/webhook-inbox';
/** Receiver: query the sender for records whose notification is overdue, applying each result once. */
export { NotificationReconciler, type ReconcileOptions, type ReconcileReport } from './notification/notification-reconciler';
/** The SSRF guard the worker connects through (usable for other outbound calls to user-given URLs). */
export { SsrfGuard } from './notification/ssrf-guard';
/** Row types of `mq_notification_endpoint`, `mq_notification` and `mq_notification_attempt`. */
export type { NotificationEndpointRow, NotificationRow, NotificationAttemptRow, NotificationStatus, NewNotificationEndpoint } from './sql/notification.sql';
