/** One SQL operation: readable text, parameters, and a stable prepared-statement name. */
export interface SqlStatement {
  /** Stable per statement text (and so per schema): PostgreSQL prepares it once per connection. */
  readonly name: string;
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Runs statements on one connection, inside the transaction the runner opened or joined. */
export interface SqlClient {
  query<Row extends object = Record<string, unknown>>(statement: SqlStatement): Promise<Row[]>;
}

/**
 * The narrow "run this in a transaction" interface the outbox core depends on (STYLE 15). The
 * TypeORM + nestjs-cls adapter is typeorm/typeorm-transaction-runner.ts, the in-memory one for
 * unit specs testing/in-memory-transaction-runner.ts; another ORM can provide its own.
 */
export interface TransactionRunner {
  /**
   * Runs `work` in the active propagated transaction, or in a new one that commits when `work`
   * resolves and rolls back when it rejects. Code inside `work` that uses the propagated
   * transaction (nestjs-cls TransactionHost) joins it.
   */
  inTransaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
  /** Runs `work` in a transaction of its own on its own connection, ignoring any active one. */
  inNewTransaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T>;
  /** True inside a propagated transaction (an outer `@Transactional()` or `inTransaction`). */
  isTransactionActive(): boolean;
  /**
   * Inside an active transaction: calls `callback(true)` after the outermost transaction
   * commits, `callback(false)` after it rolls back. Not called at all when the process or the
   * connection dies first. The callback's own failure is the callback's to handle.
   */
  afterCompletion(callback: (committed: boolean) => Promise<void>): void;
  /**
   * Inside an active transaction: runs `statement` when the outermost transaction commits, in
   * the same round trip as the COMMIT where the adapter can (TypeORM on PostgreSQL sends
   * `<statement>; COMMIT` as one query). Its rows are not read back. If it fails, nothing of the
   * transaction commits: the commit rejects with the statement's error and the transaction rolls
   * back. A rollback of the savepoint it was queued in (or of the transaction) drops it.
   */
  atCommit(statement: SqlStatement): void;
}

/**
 * The query that commits a transaction: `COMMIT`, or the statements queued with atCommit and the
 * COMMIT as one simple query (`<statement>;\nCOMMIT`). Adapters build it here and the executor
 * recognises it here (isCommitRefused), so the two cannot drift apart.
 */
export function commitQueryText(queued: readonly string[]): string {
  return [...queued, 'COMMIT'].join(';\n');
}

/** True for a text commitQueryText builds: the query whose error is the COMMIT's own. */
export function isCommitQueryText(text: unknown): boolean {
  return text === 'COMMIT' || (typeof text === 'string' && text.endsWith(';\nCOMMIT'));
}
