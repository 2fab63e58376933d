import { isCommitQueryText, SqlClient, SqlStatement } from '../transaction-runner';

/** The decision recorded for one half message: the local transaction's claim or the check-back's. */
export type MqTransactionStatus = 'committed' | 'rolled_back';

/**
 * Every SQL operation on `mq_transaction`, one function each (STYLE 15). Statement names carry
 * the schema because a prepared statement's text is fixed per connection and the schema is part
 * of the text. `schema` is validated by assertSchemaName before it gets here.
 */

/**
 * The local transaction's claim (run by the executor, on its own or with the COMMIT): the message
 * is committed if this transaction commits. A plain
 * INSERT on purpose: when a check-back already inserted 'rolled_back' it fails (23505), and so
 * does the local transaction, which is the whole point (DESIGN.md section 4).
 */
export function committedClaim(schema: string, messageId: string, topic: string): SqlStatement {
  return {
    name: `mq_transaction_insert_committed.${schema}`,
    text: `INSERT INTO "${schema}".mq_transaction (message_id, topic, status)
           VALUES ($1, $2, 'committed')`,
    values: [messageId, topic],
  };
}

/**
 * True for the error of a committed claim that found the message's row already there: a unique
 * violation on `mq_transaction` in `schema` (pg names the table and its schema apart; an error
 * that names no schema, as the in-memory store's, is taken as this one's).
 */
export function isClaimConflict(error: unknown, schema: string): boolean {
  const fields = (error ?? {}) as { code?: unknown; table?: unknown; schema?: unknown };
  return fields.code === '23505' && fields.table === 'mq_transaction' && (fields.schema === undefined || fields.schema === schema);
}

/**
 * True when PostgreSQL answered the COMMIT itself (`COMMIT`, or the `...;\nCOMMIT` that carries
 * statements queued with atCommit) with an ERROR: the server refused it and ended the
 * transaction, so nothing of it committed (a deferred constraint, a serialization failure, a
 * queued statement failing). The error must name that query (TypeORM's QueryFailedError and the
 * in-memory runner carry `query`): an error of another query, such as one an after-commit
 * subscriber ran once the COMMIT had succeeded, is not one. Anything else (the connection lost, a
 * FATAL as the server shuts down, an error the server did not send) leaves the outcome unknown.
 * `severity` is PostgreSQL's localized field: a server speaking another language than English
 * falls on the unknown side, which only waits for the check-back.
 */
export function isCommitRefused(error: unknown): boolean {
  const { severity, code, query } = (error ?? {}) as { severity?: unknown; code?: unknown; query?: unknown };
  return isCommitQueryText(query) && severity === 'ERROR' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * The check-back's claim: if no local transaction has inserted the row, this one does and the
 * local transaction can never commit it any more. If one has and is still open, PostgreSQL makes
 * this statement wait for it to finish (bounded by the lock timeout); then it conflicts and
 * inserts nothing.
 */
export async function insertRolledBackIfAbsent(sql: SqlClient, schema: string, messageId: string, topic: string): Promise<void> {
  await sql.query({
    name: `mq_transaction_insert_rolled_back.${schema}`,
    text: `INSERT INTO "${schema}".mq_transaction (message_id, topic, status)
           VALUES ($1, $2, 'rolled_back')
           ON CONFLICT (message_id) DO NOTHING`,
    values: [messageId, topic],
  });
}

/** The recorded decision, or undefined when there is no row. */
export async function selectTransactionStatus(sql: SqlClient, schema: string, messageId: string): Promise<MqTransactionStatus | undefined> {
  const rows = await sql.query<{ status: MqTransactionStatus }>({
    name: `mq_transaction_select_status.${schema}`,
    text: `SELECT status FROM "${schema}".mq_transaction WHERE message_id = $1`,
    values: [messageId],
  });
  return rows[0]?.status;
}

/**
 * `SET LOCAL lock_timeout` for the rest of the current transaction. SET takes no parameters, so
 * set_config(..., is_local => true) is the parameterised form of the same thing.
 */
export async function setLocalLockTimeout(sql: SqlClient, lockTimeoutMs: number): Promise<void> {
  await sql.query({
    name: 'mq_set_local_lock_timeout',
    text: `SELECT set_config('lock_timeout', $1, true)`,
    values: [`${lockTimeoutMs}ms`],
  });
}

/** Deletes up to `limit` decisions recorded more than `retentionMs` ago; returns how many went. */
export async function pruneTransactions(sql: SqlClient, schema: string, retentionMs: number, limit: number): Promise<number> {
  const table = `"${schema}".mq_transaction`;
  const rows = await sql.query<{ deleted: number }>({
    name: `mq_transaction_prune.${schema}`,
    text: `
      WITH deleted AS (
        DELETE FROM ${table}
        WHERE message_id IN (
          SELECT message_id FROM ${table}
          WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)
        RETURNING 1)
      SELECT count(*)::int AS deleted FROM deleted`,
    values: [retentionMs, limit],
  });
  return rows[0].deleted;
}
