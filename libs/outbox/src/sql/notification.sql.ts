/**
 * The SQL of best-effort notification (`mq_notification_endpoint`, `mq_notification`,
 * `mq_notification_attempt`), one function per operation with a stable prepared-statement name
 * that carries the schema (STYLE 15; see sql/outbox.sql.ts for why). Every "now" is a parameter from
 * the injectable clock, never `now()`, so tests walk a 24-hour retry ladder without sleeping.
 *
 * Row states (docs/architecture.md, "Best-effort notification"): pending -> delivering (claimed)
 * -> delivered | pending (retry) | failed; a failed row goes back to pending by a manual re-send.
 */
import type { SqlClient } from '../transaction-runner';

/** `"schema".table`; `schema` is validated (assertSchemaName) before it gets here. */
function qualifiedTable(schema: string, table: string): string {
  return `"${schema}".${table}`;
}

export type NotificationStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface NotificationEndpointRow {
  id: string;
  url: string;
  secrets: string[];
  retry_ladder_ms: number[] | null;
  timeout_ms: number | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  first_failure_at: Date | null;
  last_success_at: Date | null;
}

export interface NewNotificationEndpoint {
  id: string;
  url: string;
  secrets: readonly string[];
  retryLadderMs?: readonly number[];
  timeoutMs?: number;
}

/** Creates an endpoint or replaces its url, secrets and overrides; leaves its breaker state alone. */
export async function upsertNotificationEndpoint(sql: SqlClient, schema: string, endpoint: NewNotificationEndpoint, now: Date): Promise<void> {
  await sql.query({
    name: `mq_notification_endpoint_upsert.${schema}`,
    text: `
      INSERT INTO ${qualifiedTable(schema, 'mq_notification_endpoint')}
        (id, url, secrets, retry_ladder_ms, timeout_ms, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $6)
      ON CONFLICT (id) DO UPDATE SET url = $2, secrets = $3, retry_ladder_ms = $4, timeout_ms = $5, updated_at = $6`,
    values: [endpoint.id, endpoint.url, endpoint.secrets, endpoint.retryLadderMs ?? null, endpoint.timeoutMs ?? null, now],
  });
}

export async function findNotificationEndpoint(sql: SqlClient, schema: string, id: string): Promise<NotificationEndpointRow | undefined> {
  const rows = await sql.query<NotificationEndpointRow>({
    name: `mq_notification_endpoint_find.${schema}`,
    text: `SELECT * FROM ${qualifiedTable(schema, 'mq_notification_endpoint')} WHERE id = $1`,
    values: [id],
  });
  return rows[0];
}

/** Clears the breaker and makes the endpoint's waiting notifications due now; false when the endpoint is unknown. */
export async function enableNotificationEndpoint(sql: SqlClient, schema: string, id: string, now: Date): Promise<boolean> {
  const rows = await sql.query<{ endpoints: number }>({
    name: `mq_notification_endpoint_enable.${schema}`,
    text: `
      WITH endpoint AS (
        UPDATE ${qualifiedTable(schema, 'mq_notification_endpoint')}
        SET disabled_at = NULL, disabled_reason = NULL, first_failure_at = NULL, updated_at = $2
        WHERE id = $1 RETURNING id),
      waiting AS (
        UPDATE ${qualifiedTable(schema, 'mq_notification')} n SET next_attempt_at = $2
        FROM endpoint WHERE n.endpoint_id = endpoint.id AND n.status = 'pending' AND n.next_attempt_at > $2)
      SELECT count(*)::int AS endpoints FROM endpoint`,
    values: [id, now],
  });
  return rows[0].endpoints === 1;
}

export interface NewNotification {
  id: string;
  endpointId: string;
  event: string;
  payload: unknown;
  idempotencyKey: string;
  now: Date;
  /** The message it belongs to (notification-source.ts), when known at insert. */
  sourceMessage?: { messageId: string; topic: string; keys: readonly string[] };
}

/**
 * Inserts a notification due now; on an idempotency key seen before, returns the existing id.
 * Inside the caller's transaction a concurrent insert of the same key waits on the unique index
 * until that transaction ends, so two callers never both create one.
 */
export async function insertNotification(sql: SqlClient, schema: string, row: NewNotification): Promise<{ id: string; created: boolean }> {
  const table = qualifiedTable(schema, 'mq_notification');
  const inserted = await sql.query<{ id: string }>({
    name: `mq_notification_insert.${schema}`,
    text: `
      INSERT INTO ${table} (id, endpoint_id, event, payload, idempotency_key, next_attempt_at, created_at, source_message)
      VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6, $7::jsonb)
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id`,
    values: [
      row.id,
      row.endpointId,
      row.event,
      JSON.stringify(row.payload ?? null),
      row.idempotencyKey,
      row.now,
      row.sourceMessage ? JSON.stringify(row.sourceMessage) : null,
    ],
  });
  if (inserted.length === 1) return { id: inserted[0].id, created: true };
  const existing = await sql.query<{ id: string }>({
    name: `mq_notification_find_by_key.${schema}`,
    text: `SELECT id FROM ${table} WHERE idempotency_key = $1`,
    values: [row.idempotencyKey],
  });
  return { id: existing[0].id, created: false };
}

/**
 * Links notifications created in a local transaction to the transactional message it sent, once
 * that message's id is known (same database transaction, before the commit).
 */
export async function linkNotificationsToMessage(
  sql: SqlClient,
  schema: string,
  ids: readonly string[],
  source: { messageId: string; topic: string; keys: readonly string[] },
): Promise<void> {
  await sql.query({
    name: `mq_notification_link_source.${schema}`,
    text: `UPDATE ${qualifiedTable(schema, 'mq_notification')} SET source_message = $2::jsonb WHERE id = ANY($1::text[]) AND source_message IS NULL`,
    values: [ids, JSON.stringify(source)],
  });
}

/** A claimed notification with what sending it needs. */
export interface ClaimedNotification {
  id: string;
  event: string;
  payload: unknown;
  attempt_count: number;
  manual: boolean;
  created_at: Date;
  endpoint_id: string;
  url: string;
  secrets: string[];
  retry_ladder_ms: number[] | null;
  timeout_ms: number | null;
  /** The message whose trace its attempts go to (notification-source.ts); null when none. */
  source_message: { messageId: string; topic: string; keys: string[] } | null;
}

/**
 * Claims up to `limit` due notifications of enabled endpoints: pending ones whose time has come,
 * and delivering ones whose claim expired (their worker died). SKIP LOCKED lets workers claim
 * side by side; the claim token makes a late answer from an expired claim harmless. The attempt
 * is counted here, so a worker that crashes on a notification still moves it along the ladder.
 */
export async function claimDueNotifications(
  sql: SqlClient,
  schema: string,
  now: Date,
  claimedUntil: Date,
  claimToken: string,
  limit: number,
): Promise<ClaimedNotification[]> {
  const notifications = qualifiedTable(schema, 'mq_notification');
  const endpoints = qualifiedTable(schema, 'mq_notification_endpoint');
  const rows = await sql.query<ClaimedNotification>({
    name: `mq_notification_claim.${schema}`,
    text: `
      WITH due AS (
        SELECT n.id FROM ${notifications} n JOIN ${endpoints} e ON e.id = n.endpoint_id
        WHERE e.disabled_at IS NULL
          AND ((n.status = 'pending' AND n.next_attempt_at <= $1) OR (n.status = 'delivering' AND n.claimed_until <= $1))
        ORDER BY n.next_attempt_at
        LIMIT $4
        FOR UPDATE OF n SKIP LOCKED)
      UPDATE ${notifications} n
      SET status = 'delivering', claimed_until = $2, claim_token = $3, attempt_count = n.attempt_count + 1
      FROM due, ${endpoints} e
      WHERE n.id = due.id AND e.id = n.endpoint_id
      RETURNING n.id, n.event, n.payload, n.attempt_count, n.manual, n.created_at, n.source_message,
        e.id AS endpoint_id, e.url, e.secrets, e.retry_ladder_ms, e.timeout_ms`,
    values: [now, claimedUntil, claimToken, limit],
  });
  return rows;
}

export interface NotificationAttempt {
  notificationId: string;
  attempt: number;
  kind: 'scheduled' | 'manual';
  attemptedAt: Date;
  statusCode?: number;
  latencyMs: number;
  responseExcerpt?: string;
  error?: string;
  outcome: 'delivered' | 'retry' | 'failed';
}

export async function insertNotificationAttempt(sql: SqlClient, schema: string, attempt: NotificationAttempt): Promise<void> {
  await sql.query({
    name: `mq_notification_attempt_insert.${schema}`,
    text: `
      INSERT INTO ${qualifiedTable(schema, 'mq_notification_attempt')}
        (notification_id, attempt, kind, attempted_at, status_code, latency_ms, response_excerpt, error, outcome)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      ON CONFLICT (notification_id, attempt) DO NOTHING`,
    values: [
      attempt.notificationId,
      attempt.attempt,
      attempt.kind,
      attempt.attemptedAt,
      attempt.statusCode ?? null,
      attempt.latencyMs,
      attempt.responseExcerpt ?? null,
      attempt.error ?? null,
      attempt.outcome,
    ],
  });
}

/**
 * Ends a claim: delivered, back to pending at `nextAttemptAt`, or failed. Only the holder of the
 * claim may: false when the claim expired and another worker has the row now.
 */
export async function completeNotificationClaim(
  sql: SqlClient,
  schema: string,
  id: string,
  claimToken: string,
  next: { status: 'delivered' | 'pending' | 'failed'; at: Date; nextAttemptAt?: Date; lastError?: string },
): Promise<boolean> {
  const rows = await sql.query({
    name: `mq_notification_complete.${schema}`,
    text: `
      UPDATE ${qualifiedTable(schema, 'mq_notification')}
      SET status = $3, claimed_until = NULL, claim_token = NULL, manual = false,
        next_attempt_at = COALESCE($5, next_attempt_at), last_error = $6,
        delivered_at = CASE WHEN $3 = 'delivered' THEN $4 ELSE delivered_at END,
        failed_at = CASE WHEN $3 = 'failed' THEN $4 ELSE NULL END
      WHERE id = $1 AND claim_token = $2
      RETURNING 1`,
    values: [id, claimToken, next.status, next.at, next.nextAttemptAt ?? null, next.lastError ?? null],
  });
  return rows.length === 1;
}

/** A success closes the endpoint's failure window (the circuit breaker counts from the first failure after a success). */
export async function recordEndpointSuccess(sql: SqlClient, schema: string, endpointId: string, at: Date): Promise<void> {
  await sql.query({
    name: `mq_notification_endpoint_success.${schema}`,
    text: `
      UPDATE ${qualifiedTable(schema, 'mq_notification_endpoint')}
      SET first_failure_at = NULL, last_success_at = $2
      WHERE id = $1`,
    values: [endpointId, at],
  });
}

/**
 * Opens or extends the endpoint's failure window and disables the endpoint when `disableReason`
 * is given (a 410) or the window spans `disableAfterMs`. Returns the reason when this call disabled it.
 */
export async function recordEndpointFailure(
  sql: SqlClient,
  schema: string,
  endpointId: string,
  at: Date,
  disableAfterMs: number,
  disableReason?: string,
): Promise<string | undefined> {
  const table = qualifiedTable(schema, 'mq_notification_endpoint');
  const rows = await sql.query<{ disabled_now: boolean; disabled_reason: string | null }>({
    name: `mq_notification_endpoint_failure.${schema}`,
    text: `
      UPDATE ${table} e
      SET first_failure_at = COALESCE(e.first_failure_at, $2),
        disabled_at = CASE WHEN d.disable THEN $2 ELSE e.disabled_at END,
        disabled_reason = CASE WHEN d.disable THEN d.reason ELSE e.disabled_reason END
      FROM (
        SELECT id,
          disabled_at IS NULL AND ($4::text IS NOT NULL
            OR first_failure_at <= $2::timestamptz - $3::double precision * interval '1 millisecond') AS disable,
          COALESCE($4::text, 'failing since ' || first_failure_at || ' with no success') AS reason
        FROM ${table} WHERE id = $1) d
      WHERE e.id = d.id
      RETURNING d.disable AS disabled_now, e.disabled_reason`,
    values: [endpointId, at, disableAfterMs, disableReason ?? null],
  });
  const row = rows[0];
  return row?.disabled_now ? (row.disabled_reason ?? undefined) : undefined;
}

/** A notification as listings show it. */
export interface NotificationRow {
  id: string;
  endpoint_id: string;
  event: string;
  payload: unknown;
  idempotency_key: string;
  status: NotificationStatus;
  attempt_count: number;
  manual: boolean;
  next_attempt_at: Date;
  claimed_until: Date | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  failed_at: Date | null;
}

export async function findNotification(sql: SqlClient, schema: string, id: string): Promise<NotificationRow | undefined> {
  const rows = await sql.query<NotificationRow>({
    name: `mq_notification_find.${schema}`,
    text: `SELECT * FROM ${qualifiedTable(schema, 'mq_notification')} WHERE id = $1`,
    values: [id],
  });
  return rows[0];
}

/** The dead letters: failed notifications, oldest first, optionally of one endpoint. */
export async function listFailedNotifications(sql: SqlClient, schema: string, endpointId: string | null, limit: number): Promise<NotificationRow[]> {
  const rows = await sql.query<NotificationRow>({
    name: `mq_notification_list_failed.${schema}`,
    text: `
      SELECT * FROM ${qualifiedTable(schema, 'mq_notification')}
      WHERE status = 'failed' AND ($1::text IS NULL OR endpoint_id = $1)
      ORDER BY failed_at, id LIMIT $2`,
    values: [endpointId, limit],
  });
  return rows;
}

/**
 * A manual re-send of one notification: one attempt, due now; a failed or delivered row only
 * (pending and delivering ones are on their way already). False when there is no such row.
 */
export async function resendNotification(sql: SqlClient, schema: string, id: string, now: Date): Promise<boolean> {
  const rows = await sql.query({
    name: `mq_notification_resend.${schema}`,
    text: `
      UPDATE ${qualifiedTable(schema, 'mq_notification')}
      SET status = 'pending', manual = true, next_attempt_at = $2
      WHERE id = $1 AND status IN ('failed', 'delivered')
      RETURNING 1`,
    values: [id, now],
  });
  return rows.length === 1;
}

/** Re-sends every failed notification of an endpoint created in [from, to); delivered ones are skipped. Returns how many. */
export async function resendFailedNotificationsOfEndpoint(
  sql: SqlClient,
  schema: string,
  endpointId: string,
  from: Date,
  to: Date,
  now: Date,
): Promise<number> {
  const rows = await sql.query({
    name: `mq_notification_resend_range.${schema}`,
    text: `
      UPDATE ${qualifiedTable(schema, 'mq_notification')}
      SET status = 'pending', manual = true, next_attempt_at = $4
      WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2 AND created_at < $3
      RETURNING 1`,
    values: [endpointId, from, to, now],
  });
  return rows.length;
}

export interface NotificationAttemptRow {
  notification_id: string;
  attempt: number;
  kind: 'scheduled' | 'manual';
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
}

export async function listNotificationAttempts(sql: SqlClient, schema: string, notificationId: string): Promise<NotificationAttemptRow[]> {
  const rows = await sql.query<NotificationAttemptRow>({
    name: `mq_notification_attempt_list.${schema}`,
    text: `SELECT * FROM ${qualifiedTable(schema, 'mq_notification_attempt')} WHERE notification_id = $1 ORDER BY attempt`,
    values: [notificationId],
  });
  return rows;
}

/** Row counts by status for the metrics; pending rows of a disabled endpoint count as `waiting`. */
export async function countNotificationsByStatus(sql: SqlClient, schema: string): Promise<Record<string, number>> {
  const rows = await sql.query<{ status: string; count: number }>({
    name: `mq_notification_count_by_status.${schema}`,
    text: `
      SELECT CASE WHEN n.status = 'pending' AND e.disabled_at IS NOT NULL THEN 'waiting' ELSE n.status END AS status,
        count(*)::int AS count
      FROM ${qualifiedTable(schema, 'mq_notification')} n
      JOIN ${qualifiedTable(schema, 'mq_notification_endpoint')} e ON e.id = n.endpoint_id
      GROUP BY 1`,
    values: [],
  });
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}

/**
 * Deletes up to `limit` notifications delivered before `cutoff` (their attempts go with them, ON
 * DELETE CASCADE); returns how many went. Failed ones stay: they wait for a person.
 */
export async function pruneDeliveredNotifications(sql: SqlClient, schema: string, cutoff: Date, limit: number): Promise<number> {
  const table = qualifiedTable(schema, 'mq_notification');
  const rows = await sql.query<{ deleted: number }>({
    name: `mq_notification_prune_delivered.${schema}`,
    text: `
      WITH deleted AS (
        DELETE FROM ${table}
        WHERE id IN (
          SELECT id FROM ${table}
          WHERE status = 'delivered' AND delivered_at < $1
          LIMIT $2)
        RETURNING 1)
      SELECT count(*)::int AS deleted FROM deleted`,
    values: [cutoff, limit],
  });
  return rows[0].deleted;
}
