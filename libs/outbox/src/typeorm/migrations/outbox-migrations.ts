import { OUTBOX_DEFAULTS } from '../../outbox.defaults';
import { mqTransactionMigration } from './0001-mq-transaction.migration';
import { mqConsumedMigration } from './0002-mq-consumed.migration';
import { mqOutboxMigration } from './0003-mq-outbox.migration';
import { mqNotificationMigration } from './0004-mq-notification.migration';
import { mqNotificationDeliveredIndexMigration } from './0005-mq-notification-delivered-index.migration';
import { mqNotificationSourceMessageMigration } from './0006-mq-notification-source-message.migration';
import { OutboxMigrationClass, OutboxMigrationFactory } from './outbox-migration';

/** Every outbox migration, in order. New migrations are appended, never inserted or edited. */
const OUTBOX_MIGRATIONS: readonly OutboxMigrationFactory[] = [
  mqTransactionMigration,
  mqConsumedMigration,
  mqOutboxMigration,
  mqNotificationMigration,
  mqNotificationDeliveredIndexMigration,
  mqNotificationSourceMessageMigration,
];

/**
 * The outbox migrations for one schema, for a DataSource's `migrations` option:
 * `new DataSource({ ..., migrations: [...outboxMigrations({ schema: 'app' }), ...own] })` and
 * then `dataSource.runMigrations()` (or TypeORM's `migrationsRun: true`, or the TypeORM CLI with
 * that DataSource). `OutboxModule.forRoot({ migrationsRun: true })` runs them instead.
 */
export function outboxMigrations(options: { schema?: string } = {}): OutboxMigrationClass[] {
  const schema = options.schema ?? OUTBOX_DEFAULTS.schema;
  return OUTBOX_MIGRATIONS.map((factory) => factory(schema));
}
