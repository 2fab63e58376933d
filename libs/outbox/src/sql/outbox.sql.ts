/**
 * The SQL of the outbox table `mq_outbox`, one function per operation (STYLE 15, after
 * graphile-worker's `src/sql/*.ts`). Each statement has a stable prepared-statement name: the
 * server parses and plans it once per connection. The name carries the schema, because a
 * connection that saw `a.mq_outbox` under a name must never be asked to reuse it for `b.mq_outbox`.
 *
 * Row states (docs/architecture.md, "libs/outbox"): `pending` -> `sent`, or `pending` -> `failed`
 * after the broker refused it `maxAttempts` times. A pending row is claimed by pushing its
 * `available_at` past the lease, so a relay that dies mid-send only delays the row. `schema` is
 * validated by assertSchemaName before it gets here.
 */
import { SqlClient, SqlStatement } from '../transaction-runner';

/** A row as the relay needs it to send. */
export interface ClaimedOutboxRow {
  id: string;
  topic: string;
  tag: string | null;
  keys: string[];
  message_group: string | null;
  properties: Record<string, string>;
  body: Buffer;
  deliver_at: Date | null;
  attempts: number;
}

/** What `insertOutboxMessage` stores; the body is already serialized. */
export interface NewOutboxMessage {
  topic: string;
  body: Buffer;
  tag?: string;
  keys?: readonly string[];
  messageGroup?: string;
  properties?: Readonly<Record<string, string>>;
  deliverAt?: Date;
}

/**
 * Inserts the row and wakes the relays, in one round trip. Inside a transaction PostgreSQL holds
 * the notification until commit and drops it on rollback, and folds identical notifications of
 * one transaction into one.
 */
export async function insertOutboxMessage(sql: SqlClient, schema: string, channel: string, message: NewOutboxMessage): Promise<string> {
  const rows = await sql.query<{ id: string }>(outboxInsert(schema, channel, message));
  return rows[0].id;
}

/** The statement insertOutboxMessage runs, for TransactionRunner.atCommit (the row's id is then not known before the commit). */
export function outboxInsert(schema: string, channel: string, message: NewOutboxMessage): SqlStatement {
  return {
    name: `mq_outbox_insert.${schema}`,
    text: `
      WITH inserted AS (
        INSERT INTO "${schema}".mq_outbox
          (topic, tag, keys, message_group, properties, body, deliver_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id)
      SELECT id, pg_notify($8, '') FROM inserted`,
    values: [
      message.topic,
      message.tag ?? null,
      message.keys ?? [],
      message.messageGroup ?? null,
      message.properties ?? {},
      message.body,
      message.deliverAt ?? null,
      channel,
    ],
  };
}

/**
 * Claims up to `limit` due rows for `leaseMs` in one statement (its own short transaction).
 * Eligible: pending, due, and the oldest pending row of its message group (rows without a group
 * are independent), so a group's next row waits until the previous one is sent. `SKIP LOCKED`
 * lets several relays claim side by side; a row another relay is claiming is skipped, and once
 * that relay commits, the pushed `available_at` keeps it out (PostgreSQL re-checks the WHERE on
 * the newest row version before locking).
 */
export async function claimDueOutboxMessages(sql: SqlClient, schema: string, limit: number, leaseMs: number): Promise<ClaimedOutboxRow[]> {
  const table = `"${schema}".mq_outbox`;
  const rows = await sql.query<ClaimedOutboxRow>({
    name: `mq_outbox_claim.${schema}`,
    text: `
      WITH due AS (
        SELECT o.id
        FROM ${table} o
        WHERE o.status = 'pending'
          AND o.available_at <= now()
          AND (o.message_group IS NULL OR NOT EXISTS (
                SELECT 1 FROM ${table} earlier
                WHERE earlier.message_group = o.message_group
                  AND earlier.status = 'pending'
                  AND earlier.id < o.id))
        ORDER BY o.id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${table} o
      SET available_at = now() + make_interval(secs => $2::double precision / 1000),
          attempts = o.attempts + 1
      FROM due
      WHERE o.id = due.id
      RETURNING o.id, o.topic, o.tag, o.keys, o.message_group, o.properties, o.body, o.deliver_at, o.attempts`,
    values: [limit, leaseMs],
  });
  // UPDATE ... RETURNING does not keep the CTE's order; sending in id order keeps logs readable.
  return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

/** Marks a batch sent in one round trip, with the message id the broker returned for each. */
export async function markOutboxMessagesSent(sql: SqlClient, schema: string, sent: readonly { id: string; messageId: string }[]): Promise<void> {
  if (sent.length === 0) return;
  const table = `"${schema}".mq_outbox`;
  await sql.query({
    name: `mq_outbox_mark_sent.${schema}`,
    text: `
      UPDATE ${table} o
      SET status = 'sent', sent_at = now(), message_id = s.message_id, last_error = NULL
      FROM unnest($1::bigint[], $2::text[]) AS s(id, message_id)
      WHERE o.id = s.id`,
    values: [sent.map((s) => s.id), sent.map((s) => s.messageId)],
  });
}

/**
 * Gives a row back after a failed send: pending again after `retryDelayMs`. A broker that is
 * down does not count as an attempt (`countAttempt` false): waiting it out is normal.
 */
export async function releaseOutboxMessage(
  sql: SqlClient,
  schema: string,
  release: { id: string; retryDelayMs: number; error: string; countAttempt: boolean },
): Promise<void> {
  await sql.query({
    name: `mq_outbox_release.${schema}`,
    text: `
      UPDATE "${schema}".mq_outbox
      SET available_at = now() + make_interval(secs => $2::double precision / 1000),
          attempts = CASE WHEN $4 THEN attempts ELSE attempts - 1 END,
          last_error = $3
      WHERE id = $1 AND status = 'pending'`,
    values: [release.id, release.retryDelayMs, release.error, release.countAttempt],
  });
}

/** The broker refused the row `maxAttempts` times: kept as `failed` for an operator, no longer blocking its group. */
export async function markOutboxMessageFailed(sql: SqlClient, schema: string, id: string, error: string): Promise<void> {
  await sql.query({
    name: `mq_outbox_mark_failed.${schema}`,
    text: `UPDATE "${schema}".mq_outbox SET status = 'failed', last_error = $2 WHERE id = $1`,
    values: [id, error],
  });
}

/** Deletes up to `limit` rows sent more than `retentionMs` ago; returns how many went. */
export async function pruneSentOutboxMessages(sql: SqlClient, schema: string, retentionMs: number, limit: number): Promise<number> {
  const table = `"${schema}".mq_outbox`;
  const rows = await sql.query<{ deleted: number }>({
    name: `mq_outbox_prune.${schema}`,
    text: `
      WITH deleted AS (
        DELETE FROM ${table}
        WHERE id IN (
          SELECT id FROM ${table}
          WHERE status = 'sent' AND sent_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)
        RETURNING 1)
      SELECT count(*)::int AS deleted FROM deleted`,
    values: [retentionMs, limit],
  });
  return rows[0].deleted;
}

/** The relay's backlog: pending rows, and how long the oldest has waited (0 when none). */
export interface OutboxBacklog {
  pending: number;
  oldestPendingSeconds: number;
}

/**
 * Reads the backlog for the metrics, at scrape time. Both subqueries use the partial index on
 * pending rows (`mq_outbox_pending_idx`): the count reads only pending entries, however many sent
 * rows wait for pruning, and the oldest is the first entry in id order (ids follow insertion).
 */
export async function selectOutboxBacklog(sql: SqlClient, schema: string): Promise<OutboxBacklog> {
  const table = `"${schema}".mq_outbox`;
  const rows = await sql.query<{ pending: number; oldest_pending_seconds: number | null }>({
    name: `mq_outbox_backlog.${schema}`,
    text: `
      SELECT
        (SELECT count(*) FROM ${table} WHERE status = 'pending')::int AS pending,
        (SELECT EXTRACT(EPOCH FROM now() - created_at) FROM ${table} WHERE status = 'pending' ORDER BY id LIMIT 1)::float8 AS oldest_pending_seconds`,
    values: [],
  });
  return { pending: rows[0].pending, oldestPendingSeconds: Math.max(0, rows[0].oldest_pending_seconds ?? 0) };
}
