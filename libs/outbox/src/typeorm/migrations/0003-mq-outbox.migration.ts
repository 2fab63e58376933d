import { defineOutboxMigration } from './outbox-migration';

/**
 * `mq_outbox`: messages written in business transactions and sent by the relay (row states in
 * docs/architecture.md, "libs/outbox").
 *
 * `available_at` is the relay's own clock: a claim pushes it past the lease, a failed send past
 * the back-off. `deliver_at` is the user's delivery time, handed to the broker (a DELAY topic).
 * Partial indexes on pending rows stay as small as the backlog, however many sent rows wait for
 * pruning: the claim scans pending rows in id order and looks up each group's oldest pending row.
 */
export const mqOutboxMigration = defineOutboxMigration(3, 'MqOutbox', (schema) => [
  `CREATE SCHEMA IF NOT EXISTS ${schema}`,
  `CREATE TABLE ${schema}.mq_outbox (
     id bigserial PRIMARY KEY,
     topic text NOT NULL,
     tag text,
     keys text[] NOT NULL DEFAULT '{}',
     message_group text,
     properties jsonb NOT NULL DEFAULT '{}',
     body bytea NOT NULL,
     deliver_at timestamptz,
     status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
     attempts integer NOT NULL DEFAULT 0,
     last_error text,
     available_at timestamptz NOT NULL DEFAULT now(),
     created_at timestamptz NOT NULL DEFAULT now(),
     sent_at timestamptz,
     message_id text
   )`,
  `CREATE INDEX mq_outbox_pending_idx ON ${schema}.mq_outbox (id) WHERE status = 'pending'`,
  `CREATE INDEX mq_outbox_pending_group_idx ON ${schema}.mq_outbox (message_group, id)
     WHERE status = 'pending' AND message_group IS NOT NULL`,
  `CREATE INDEX mq_outbox_sent_at_idx ON ${schema}.mq_outbox (sent_at) WHERE status = 'sent'`,
]);
