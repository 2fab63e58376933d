import { defineOutboxMigration } from './outbox-migration';

/**
 * Lets NotificationPruner find delivered notifications past their retention without reading the
 * whole table: a partial index on `delivered_at` of delivered rows only.
 */
export const mqNotificationDeliveredIndexMigration = defineOutboxMigration(5, 'MqNotificationDeliveredIndex', (schema) => [
  `CREATE INDEX mq_notification_delivered_idx ON ${schema}.mq_notification (delivered_at) WHERE status = 'delivered'`,
]);
