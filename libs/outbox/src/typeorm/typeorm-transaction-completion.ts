import { EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent, TransactionStartEvent } from 'typeorm';

type CompletionCallback = (committed: boolean) => Promise<void>;

/** Callbacks waiting for a transaction (or the savepoint they were registered in) to end. */
interface Waiting {
  /** Nesting depth at registration: 1 in a transaction, 2 inside one savepoint, ... */
  readonly depth: number;
  readonly callback: CompletionCallback;
}

/**
 * Tells callbacks how a TypeORM transaction ended, for messages decided by an outer transaction.
 * TypeORM has no per-transaction after-commit hook, but it broadcasts transaction events to the
 * DataSource's subscribers with the QueryRunner, so this subscriber keeps, per QueryRunner, the
 * nesting depth (savepoints) and the callbacks waiting on it:
 * - a rollback to below a callback's depth (its savepoint or the whole transaction) calls it with
 *   false at once: what it was registered for is gone even if the outer transaction commits;
 * - the commit of the outermost transaction calls the others with true.
 * A connection that dies mid-transaction fires neither; the check-back covers that case.
 */
export class TypeOrmTransactionCompletion implements EntitySubscriberInterface {
  private readonly depths = new WeakMap<QueryRunner, number>();
  private readonly waiting = new WeakMap<QueryRunner, Waiting[]>();

  register(queryRunner: QueryRunner, callback: CompletionCallback): void {
    const list = this.waiting.get(queryRunner) ?? [];
    list.push({ depth: this.depths.get(queryRunner) ?? 1, callback });
    this.waiting.set(queryRunner, list);
  }

  afterTransactionStart(event: TransactionStartEvent): void {
    this.depths.set(event.queryRunner, (this.depths.get(event.queryRunner) ?? 0) + 1);
  }

  afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const depth = this.leave(event.queryRunner);
    return depth === 0 ? this.fire(event.queryRunner, () => true, true) : Promise.resolve();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): Promise<void> {
    const depth = this.leave(event.queryRunner);
    return this.fire(event.queryRunner, (waiting) => waiting.depth > depth, false);
  }

  private leave(queryRunner: QueryRunner): number {
    // A transaction started before this subscriber existed has no depth: treat it as outermost.
    const depth = Math.max(0, (this.depths.get(queryRunner) ?? 1) - 1);
    this.depths.set(queryRunner, depth);
    return depth;
  }

  private async fire(queryRunner: QueryRunner, ended: (waiting: Waiting) => boolean, committed: boolean): Promise<void> {
    const list = this.waiting.get(queryRunner) ?? [];
    const due = list.filter(ended);
    if (due.length === 0) return;
    this.waiting.set(
      queryRunner,
      list.filter((waiting) => !ended(waiting)),
    );
    // Each callback runs even if an earlier one failed (another message's EndTransaction must
    // still go); the first failure is rethrown once all have run.
    let failure: { error: unknown } | undefined;
    for (const waiting of due) {
      try {
        await waiting.callback(committed);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
