import { AsyncLocalStorage } from 'node:async_hooks';
import { commitQueryText, type SqlClient, type SqlStatement, type TransactionRunner } from '../transaction-runner';
import { InMemoryOutboxStore } from './in-memory-outbox-store';
import { InMemoryTransaction } from './in-memory-table';

/**
 * Where a scripted failure strikes: `begin`; `commit` (nothing of the transaction applied);
 * `commit-applied` (the commit took effect but its answer was lost, as when the connection drops
 * right after COMMIT reached the server); or a statement, by its name without the schema
 * (`mq_transaction_insert_committed`).
 */
export type InMemoryFailurePoint = 'begin' | 'commit' | 'commit-applied' | (string & {});

/** An open transaction: the store's record of its writes, and what waits for its end. */
interface Active {
  readonly tx: InMemoryTransaction;
  readonly sql: SqlClient;
  readonly completions: Array<(committed: boolean) => Promise<void>>;
  /** Statements given to atCommit, run just before the commit. */
  readonly atCommit: SqlStatement[];
}

/**
 * A TransactionRunner on an InMemoryOutboxStore, for unit specs without PostgreSQL (STYLE 7's
 * memory store). Propagation as the TypeORM adapter's: `inTransaction` joins the transaction
 * active in the async context (AsyncLocalStorage, as nestjs-cls) or opens one; `afterCompletion`
 * callbacks run after the outermost commit (true) or rollback (false), and not at all when the
 * commit fails. No savepoints. `failNext` scripts a failure at a point of the next transaction
 * or statement that reaches it.
 */
export class InMemoryTransactionRunner implements TransactionRunner {
  private readonly active = new AsyncLocalStorage<Active>();
  private readonly failures = new Map<string, Error[]>();

  constructor(readonly store: InMemoryOutboxStore = new InMemoryOutboxStore()) {}

  /** Statements outside any transaction, each committed at once (what OutboxDatabase.autocommit is). */
  readonly autocommit: SqlClient = {
    query: async <Row extends object>(statement: SqlStatement) => this.execute<Row>(statement, undefined),
  };

  /** The next time `point` is reached, it fails with `error` (queued: call twice for two failures). */
  failNext(point: InMemoryFailurePoint, error: Error): this {
    this.failures.set(point, [...(this.failures.get(point) ?? []), error]);
    return this;
  }

  inTransaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T> {
    const active = this.active.getStore();
    return active ? work(active.sql) : this.run(work);
  }

  inNewTransaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T> {
    return this.run(work);
  }

  /** The store transaction of the active one, so a spec's own InMemoryTable (a business table) joins it; undefined outside. */
  currentTransaction(): InMemoryTransaction | undefined {
    return this.active.getStore()?.tx;
  }

  isTransactionActive(): boolean {
    return this.active.getStore() !== undefined;
  }

  afterCompletion(callback: (committed: boolean) => Promise<void>): void {
    const active = this.active.getStore();
    if (!active) throw new Error('afterCompletion outside a transaction');
    active.completions.push(callback);
  }

  atCommit(statement: SqlStatement): void {
    const active = this.active.getStore();
    if (!active) throw new Error('atCommit outside a transaction');
    active.atCommit.push(statement);
  }

  private async run<T>(work: (sql: SqlClient) => Promise<T>): Promise<T> {
    this.strike('begin');
    const tx = new InMemoryTransaction();
    const active: Active = {
      tx,
      completions: [],
      atCommit: [],
      sql: { query: async <Row extends object>(statement: SqlStatement) => this.execute<Row>(statement, tx) },
    };
    let result: T;
    try {
      result = await this.active.run(active, () => work(active.sql));
    } catch (error) {
      tx.rollback();
      await this.complete(active, false);
      throw error;
    }
    // The query TypeORM would have sent (statement names for texts), which its QueryFailedError names as `query`.
    const commitQuery = (): string => commitQueryText(active.atCommit.map((statement) => statement.name));
    try {
      // What PostgreSQL does with `<statement>; COMMIT`: a failing statement skips the COMMIT.
      for (const statement of active.atCommit) await this.execute(statement, tx);
    } catch (error) {
      tx.rollback();
      await this.complete(active, false);
      throw withQuery(error, commitQuery);
    }
    const lost = this.take('commit-applied');
    const failed = lost ? undefined : this.take('commit');
    if (failed) tx.rollback();
    else this.commit(tx);
    // A failed commit calls no completion callback: the caller cannot know how it ended.
    const commitError = lost ?? failed;
    if (commitError) throw withQuery(commitError, commitQuery);
    await this.complete(active, true);
    return result;
  }

  private commit(tx: InMemoryTransaction): void {
    tx.commit();
    this.store.committed(tx);
  }

  private async complete(active: Active, committed: boolean): Promise<void> {
    for (const callback of active.completions) await callback(committed);
  }

  private async execute<Row extends object>(statement: SqlStatement, tx: InMemoryTransaction | undefined): Promise<Row[]> {
    this.strike(statement.name.split('.')[0]);
    return (await this.store.execute(statement, tx)) as Row[];
  }

  private strike(point: string): void {
    const error = this.take(point);
    if (error !== undefined) throw error;
  }

  private take(point: string): Error | undefined {
    const queued = this.failures.get(point);
    const error = queued?.shift();
    if (queued?.length === 0) this.failures.delete(point);
    return error;
  }
}

/** The error with the query it answered, as TypeORM's QueryFailedError carries it (unless it names one already). */
function withQuery(error: unknown, query: () => string): unknown {
  if (typeof error === 'object' && error !== null && !('query' in error)) Object.assign(error, { query: query() });
  return error;
}
