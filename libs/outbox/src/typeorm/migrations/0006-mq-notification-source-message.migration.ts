import { defineOutboxMigration } from './outbox-migration';

/**
 * The message a notification belongs to (`{"messageId", "topic", "keys"}`): the message a consumer
 * was handling when it called notify(), or the transactional message sent by the local
 * transaction that called it. Each delivery attempt then shows on that message's trace timeline.
 * Null for a notification made outside both.
 */
export const mqNotificationSourceMessageMigration = defineOutboxMigration(6, 'MqNotificationSourceMessage', (schema) => [
  `ALTER TABLE ${schema}.mq_notification ADD COLUMN source_message jsonb`,
]);
