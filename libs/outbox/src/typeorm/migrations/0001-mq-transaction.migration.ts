import { defineOutboxMigration } from './outbox-migration';

/**
 * `mq_transaction`: one row per local transaction that sent a half message, written in that
 * transaction as 'committed', or by the check-back as 'rolled_back' when it got there first
 * (DESIGN.md section 4). The primary key is what makes the two exclusive. `created_at` is
 * indexed for pruning rows older than the broker's check-back window.
 */
export const mqTransactionMigration = defineOutboxMigration(1, 'MqTransaction', (schema) => [
  `CREATE SCHEMA IF NOT EXISTS ${schema}`,
  `CREATE TABLE ${schema}.mq_transaction (
     message_id text PRIMARY KEY,
     topic text NOT NULL,
     status text NOT NULL CHECK (status IN ('committed', 'rolled_back')),
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX mq_transaction_created_at_idx ON ${schema}.mq_transaction (created_at)`,
]);
