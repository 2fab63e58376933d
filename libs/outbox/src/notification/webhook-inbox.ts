import { Inject, Injectable } from '@nestjs/common';
import { insertConsumedKey } from '../sql/consumed.sql';
import type { TransactionRunner } from '../transaction-runner';
import type { ResolvedNotificationOptions } from './notification.defaults';
import { NOTIFICATION_OPTIONS, NOTIFICATION_TRANSACTION_RUNNER } from './notification.module-definition';

/**
 * The receiver's dedupe: a handler runs once per key (the `webhook-id`, or a business key shared
 * with the reconciliation), through the same `mq_consumed` table idempotent consumers use.
 */
@Injectable()
export class WebhookInbox {
  constructor(
    @Inject(NOTIFICATION_TRANSACTION_RUNNER) private readonly runner: TransactionRunner,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: ResolvedNotificationOptions,
  ) {}

  /**
   * Runs `handler` in a transaction that also records `(group, key)` in `mq_consumed`; a key seen
   * before skips the handler and returns 'duplicate'. The handler's writes and the dedupe row
   * commit together: a handler that throws leaves no row, so the sender's retry runs it again.
   * A concurrent duplicate waits on the row's unique index until the first one ends. Answer 2xx
   * for both results.
   */
  async consumeOnce(group: string, key: string, handler: () => Promise<void>): Promise<'handled' | 'duplicate'> {
    return this.runner.inTransaction(async (client) => {
      const fresh = await insertConsumedKey(client, this.options.schema, group, key);
      if (!fresh) return 'duplicate';
      await handler();
      return 'handled';
    });
  }
}
