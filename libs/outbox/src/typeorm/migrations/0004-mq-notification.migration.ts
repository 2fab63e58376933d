import { defineOutboxMigration } from './outbox-migration';

/**
 * The best-effort notification tables (DESIGN.md section 4):
 * - `mq_notification_endpoint`: where to POST, the signing secrets (several during rotation),
 *   per-endpoint ladder and timeout overrides, and the circuit breaker's state.
 * - `mq_notification`: one row per notification; `id` is the stable `webhook-id`,
 *   `idempotency_key` makes a repeated notify() a no-op.
 * - `mq_notification_attempt`: every attempt, for support and for "why did I not get it".
 */
export const mqNotificationMigration = defineOutboxMigration(4, 'MqNotification', (schema) => [
  `CREATE SCHEMA IF NOT EXISTS ${schema}`,
  `CREATE TABLE ${schema}.mq_notification_endpoint (
     id text PRIMARY KEY,
     url text NOT NULL,
     secrets text[] NOT NULL,
     retry_ladder_ms integer[],
     timeout_ms integer,
     disabled_at timestamptz,
     disabled_reason text,
     first_failure_at timestamptz,
     last_success_at timestamptz,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   )`,
  `CREATE TABLE ${schema}.mq_notification (
     id text PRIMARY KEY,
     endpoint_id text NOT NULL REFERENCES ${schema}.mq_notification_endpoint (id),
     event text NOT NULL,
     payload jsonb NOT NULL,
     idempotency_key text NOT NULL UNIQUE,
     status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
     attempt_count integer NOT NULL DEFAULT 0,
     manual boolean NOT NULL DEFAULT false,
     next_attempt_at timestamptz NOT NULL,
     claimed_until timestamptz,
     claim_token uuid,
     last_error text,
     created_at timestamptz NOT NULL,
     delivered_at timestamptz,
     failed_at timestamptz
   )`,
  // The worker's claim reads due pending rows and expired claims; both partial indexes stay small.
  `CREATE INDEX mq_notification_due_idx ON ${schema}.mq_notification (next_attempt_at) WHERE status = 'pending'`,
  `CREATE INDEX mq_notification_claimed_idx ON ${schema}.mq_notification (claimed_until) WHERE status = 'delivering'`,
  // Re-send by endpoint and time range; the dead-letter listing.
  `CREATE INDEX mq_notification_endpoint_created_idx ON ${schema}.mq_notification (endpoint_id, created_at)`,
  `CREATE INDEX mq_notification_failed_idx ON ${schema}.mq_notification (failed_at) WHERE status = 'failed'`,
  `CREATE TABLE ${schema}.mq_notification_attempt (
     notification_id text NOT NULL REFERENCES ${schema}.mq_notification (id) ON DELETE CASCADE,
     attempt integer NOT NULL,
     kind text NOT NULL CHECK (kind IN ('scheduled', 'manual')),
     attempted_at timestamptz NOT NULL,
     status_code integer,
     latency_ms integer NOT NULL,
     response_excerpt text,
     error text,
     outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
     PRIMARY KEY (notification_id, attempt)
   )`,
]);
