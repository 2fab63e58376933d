import { defineOutboxMigration } from './outbox-migration';

/**
 * `mq_consumed`: the idempotent consumers' dedupe table, one row per consumer group and message
 * key, inserted in the handler's transaction (DESIGN.md section 4). The primary key is what makes
 * a duplicate delivery wait for, then skip, the first. `consumed_at` is indexed for the pruner,
 * which deletes rows older than the dedupe window.
 */
export const mqConsumedMigration = defineOutboxMigration(2, 'MqConsumed', (schema) => [
  `CREATE SCHEMA IF NOT EXISTS ${schema}`,
  `CREATE TABLE ${schema}.mq_consumed (
     consumer_group text NOT NULL,
     message_key text NOT NULL,
     consumed_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (consumer_group, message_key)
   )`,
  `CREATE INDEX mq_consumed_consumed_at_idx ON ${schema}.mq_consumed (consumed_at)`,
]);
