/**
 * `@app/outbox/testing`: internals that tests drive directly (one migration at a time, the
 * notification claim statement, the module's database handle), and the in-memory doubles the
 * unit specs run on (a TransactionRunner and OutboxDatabase on an in-memory store, a fake
 * producer). Not API: they change without notice. Everything else comes from `@app/outbox`.
 */
export { OutboxDatabase } from './outbox-database';
export { runSelectedMigrations } from './typeorm/migrations/outbox-migration-runner';
export { mqConsumedMigration } from './typeorm/migrations/0002-mq-consumed.migration';
export { mqNotificationMigration } from './typeorm/migrations/0004-mq-notification.migration';
export { mqNotificationDeliveredIndexMigration } from './typeorm/migrations/0005-mq-notification-delivered-index.migration';
export { mqNotificationSourceMessageMigration } from './typeorm/migrations/0006-mq-notification-source-message.migration';
export { claimDueNotifications } from './sql/notification.sql';
/** A table in memory with READ COMMITTED visibility (a spec's business table joins the runner's transaction through it). */
export { InMemoryTable, InMemoryTransaction } from './testing/in-memory-table';
/** The `mq_*` tables in memory, running the statements of sql/*.ts. */
export { InMemoryOutboxStore } from './testing/in-memory-outbox-store';
/** A TransactionRunner on that store (nestjs-cls propagation, completion callbacks, scripted failures). */
export { InMemoryTransactionRunner, type InMemoryFailurePoint } from './testing/in-memory-transaction-runner';
/** OutboxDatabase in memory: the runner, autocommit statements, LISTEN on the store's notifications. */
export { InMemoryOutboxDatabase } from './testing/in-memory-outbox-database';
/** MqProducer and MqTransactionProducer in memory, recording half messages and sends, with scripted failures and check-backs. */
export {
  brokerUnavailableError,
  FakeMqProducer,
  sendRefusedError,
  type FakeHalfMessage,
  type FakeProducerCall,
  type FakeProducerPoint,
  type FakeSentMessage,
} from './testing/fake-mq-producer';
/** What OutboxModule's capabilities inject, in memory, for `Test.createTestingModule({ providers })`. */
export { inMemoryOutboxProviders, SILENT_LOGGER } from './testing/in-memory-outbox-providers';
