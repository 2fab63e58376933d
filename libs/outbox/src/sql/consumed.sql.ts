/**
 * The SQL of `mq_consumed`, the idempotent consumers' dedupe table (STYLE 15): one function per
 * operation, a stable prepared-statement name carrying the schema (as sql/transaction.sql.ts).
 * `schema` is validated by assertSchemaName before it gets here.
 */
import { SqlClient } from '../transaction-runner';

/**
 * Records that `group` consumed `messageKey`; false when it already had. Run inside the handler's
 * transaction: a concurrent delivery of the same key blocks on the primary key until this
 * transaction ends, then conflicts (it committed: skip) or inserts (it rolled back: run again).
 */
export async function insertConsumedKey(sql: SqlClient, schema: string, group: string, messageKey: string): Promise<boolean> {
  const rows = await sql.query({
    name: `mq_consumed_insert.${schema}`,
    text: `
      INSERT INTO "${schema}".mq_consumed (consumer_group, message_key)
      VALUES ($1, $2)
      ON CONFLICT (consumer_group, message_key) DO NOTHING
      RETURNING 1`,
    values: [group, messageKey],
  });
  return rows.length === 1;
}

/**
 * Records that `group` consumed each of `messageKeys` in one statement (the group commit of
 * idempotent-consumer-group-commit.ts); returns the keys that were new. Keys are deduplicated and
 * inserted in sorted order, so two batches sharing keys lock them in one order and never
 * deadlock on mq_consumed. A key a concurrent transaction holds waits for it, as in
 * insertConsumedKey.
 */
export async function insertConsumedKeys(sql: SqlClient, schema: string, group: string, messageKeys: readonly string[]): Promise<Set<string>> {
  const rows = await sql.query<{ message_key: string }>({
    name: `mq_consumed_insert_many.${schema}`,
    text: `
      INSERT INTO "${schema}".mq_consumed (consumer_group, message_key)
      SELECT $1, key FROM (SELECT DISTINCT unnest($2::text[]) AS key) AS batch ORDER BY key
      ON CONFLICT (consumer_group, message_key) DO NOTHING
      RETURNING message_key`,
    values: [group, messageKeys],
  });
  return new Set(rows.map((row) => row.message_key));
}

/** Deletes up to `limit` keys consumed more than `retentionMs` ago (the dedupe window); returns how many went. */
export async function pruneConsumedKeys(sql: SqlClient, schema: string, retentionMs: number, limit: number): Promise<number> {
  const table = `"${schema}".mq_consumed`;
  const rows = await sql.query<{ deleted: number }>({
    name: `mq_consumed_prune.${schema}`,
    text: `
      WITH deleted AS (
        DELETE FROM ${table}
        WHERE (consumer_group, message_key) IN (
          SELECT consumer_group, message_key FROM ${table}
          WHERE consumed_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)
        RETURNING 1)
      SELECT count(*)::int AS deleted FROM deleted`,
    values: [retentionMs, limit],
  });
  return rows[0].deleted;
}
