/**
 * `@app/outbox/testing`: internals that tests drive directly (one migration at a time, the
 * notification claim statement, the module's database handle). Not API: they change without
 * notice. Everything else comes from `@app/outbox`.
 */
export { OutboxDatabase } from './outbox-database';
export { runSelectedMigrations } from './migrations/outbox-migration-runner';
export { mqConsumedMigration } from './migrations/0002-mq-consumed.migration';
export { mqNotificationMigration } from './migrations/0004-mq-notification.migration';
export { mqNotificationDeliveredIndexMigration } from './migrations/0005-mq-notification-delivered-index.migration';
export { mqNotificationSourceMessageMigration } from './migrations/0006-mq-notification-source-message.migration';
export { claimDueNotifications } from './sql/notification.sql';
