import { LoggerService } from '@nestjs/common';
import { insertConsumedKeys } from '../sql/consumed.sql';
import { TransactionRunner } from '../transaction-runner';

/** The largest group commit: one receive brings at most 32 messages (libs/mq's MAX_RECEIVE_BATCH). */
export const MAX_GROUP_COMMIT_MESSAGES = 32;

/** One delivery waiting for its batch: its dedupe key and its handler, run inside the batch's transaction. */
interface Delivery {
  key: string;
  run: () => Promise<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** Handles one delivery alone, in a transaction of its own (the interceptor's ordinary path). */
export type SingleDelivery = (key: string, run: () => Promise<unknown>) => Promise<unknown>;

/**
 * Group commit for one @IdempotentConsumer with `groupCommit`: the deliveries that reach the
 * interceptor in one turn of the event loop (a receive's messages are dispatched together) share
 * one local transaction: one statement inserts every dedupe key, the handlers of the new keys run
 * one after the other on that transaction's connection, and one COMMIT ends it. Four round trips
 * per message become two per batch plus the handlers' own.
 *
 * When anything in the batch fails (a handler throws, a deadlock, the commit), the whole batch is
 * rolled back and each delivery runs again alone, exactly as without group commit: the failing
 * one fails on its own and is retried, the others commit. So a handler may run twice for one
 * delivery, the first run rolled back; only effects outside the transaction can show it, as after
 * any redelivery. A commit whose outcome is unknown is safe too: the solo runs find the keys that
 * did commit and skip them.
 *
 * Handlers of a batch run one after the other, in delivery order and in the batch's async
 * context (nestjs-cls), so they never race each other inside the one transaction. Meant for short
 * handlers whose work is SQL; a slow handler holds up its batch.
 */
export class IdempotentConsumerGroupCommit {
  private waiting: Delivery[] = [];
  private flushScheduled = false;

  constructor(
    private readonly runner: TransactionRunner,
    private readonly schema: string,
    private readonly group: string,
    private readonly maxMessages: number,
    private readonly single: SingleDelivery,
    private readonly logger: LoggerService,
  ) {}

  /** Resolves with the handler's result (undefined for a duplicate) once its batch committed. */
  submit(key: string, run: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ key, run, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      // After the I/O phase: every delivery dispatched in this turn has reached the interceptor.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const deliveries = this.waiting;
    this.waiting = [];
    for (let start = 0; start < deliveries.length; start += this.maxMessages) void this.commit(deliveries.slice(start, start + this.maxMessages));
  }

  private async commit(batch: Delivery[]): Promise<void> {
    if (batch.length === 1) {
      this.settle(batch[0], this.single(batch[0].key, batch[0].run));
      return;
    }
    let results: unknown[];
    try {
      results = await this.runner.inTransaction(async (sql) => {
        const fresh = await insertConsumedKeys(
          sql,
          this.schema,
          this.group,
          batch.map((delivery) => delivery.key),
        );
        const outcomes: unknown[] = [];
        for (const delivery of batch) {
          // delete(): a key twice in one batch runs once, the second is the duplicate.
          outcomes.push(fresh.delete(delivery.key) ? await delivery.run() : undefined);
        }
        return outcomes;
      });
    } catch (error) {
      this.logger.debug?.(
        `group commit of ${batch.length} message(s) in group ${this.group} rolled back, running each alone: ${error instanceof Error ? error.message : String(error)}`,
      );
      for (const delivery of batch) this.settle(delivery, this.single(delivery.key, delivery.run));
      return;
    }
    batch.forEach((delivery, index) => delivery.resolve(results[index]));
  }

  private settle(delivery: Delivery, outcome: Promise<unknown>): void {
    outcome.then(delivery.resolve, delivery.reject);
  }
}
