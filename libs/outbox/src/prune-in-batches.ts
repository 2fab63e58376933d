import { TransactionRunner, SqlClient } from './transaction-runner';

/** Rows deleted per statement, so a large backlog never holds long locks. */
export const PRUNE_BATCH_ROWS = 1_000;

/**
 * Runs `deleteBatch` (which deletes at most PRUNE_BATCH_ROWS rows and says how many) in short
 * transactions of its own until a batch comes back short; returns the total deleted.
 */
export async function pruneInBatches(runner: TransactionRunner, deleteBatch: (sql: SqlClient) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await runner.inNewTransaction(deleteBatch);
    total += deleted;
    if (deleted < PRUNE_BATCH_ROWS) return total;
  }
}
