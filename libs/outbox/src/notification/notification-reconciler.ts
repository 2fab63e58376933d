import { Injectable, Logger } from '@nestjs/common';
import { WebhookInbox } from './webhook-inbox';

/** How to reconcile one kind of record (the receiver's side: orders awaiting a payment notification). */
export interface ReconcileOptions<TRecord, TResult> {
  /** `mq_consumed` group the results are applied under; share it with the webhook handler. */
  group: string;
  /** Records still awaiting a notification since before `olderThan`, at most `limit`. */
  findAwaiting(olderThan: Date, limit: number): Promise<TRecord[]>;
  /** Asks the sender (pay-service's `GET /payments/:orderId`); undefined when it has no final answer yet. */
  query(record: TRecord): Promise<TResult | undefined>;
  /**
   * The dedupe key of a result. Use the key the webhook handler dedupes on (a business key such
   * as `payment:<orderId>`), so whichever of webhook and reconciliation comes second is skipped.
   */
  keyOf(record: TRecord, result: TResult): string;
  /** Applies the result; runs in a transaction with the dedupe row. */
  apply(record: TRecord, result: TResult): Promise<void>;
  /** A record is overdue once it has waited this long. */
  overdueAfterMs: number;
  /** Records per run. Default 100. */
  limit?: number;
  /** Now, for tests. Default the system time. */
  now?: () => Date;
}

export interface ReconcileReport {
  checked: number;
  applied: number;
  duplicates: number;
  /** The sender had no final answer yet. */
  unanswered: number;
  /** query() or apply() threw; the record is tried again next run. */
  failed: number;
}

/**
 * The query path of best-effort notification: when a notification is overdue, the receiver asks
 * the sender instead of waiting for a webhook that may never come (a lost endpoint, a failed
 * ladder). Run it on a timer; each run is idempotent.
 */
@Injectable()
export class NotificationReconciler {
  private readonly logger = new Logger(NotificationReconciler.name);

  constructor(private readonly inbox: WebhookInbox) {}

  async reconcile<TRecord, TResult>(options: ReconcileOptions<TRecord, TResult>): Promise<ReconcileReport> {
    const now = options.now?.() ?? new Date();
    const records = await options.findAwaiting(new Date(now.getTime() - options.overdueAfterMs), options.limit ?? 100);
    const report: ReconcileReport = { checked: records.length, applied: 0, duplicates: 0, unanswered: 0, failed: 0 };
    for (const record of records) {
      try {
        const result = await options.query(record);
        if (result === undefined) {
          report.unanswered++;
          continue;
        }
        const outcome = await this.inbox.consumeOnce(options.group, options.keyOf(record, result), () => options.apply(record, result));
        if (outcome === 'handled') report.applied++;
        else report.duplicates++;
      } catch (error) {
        // One record's sender being down must not stop the others.
        report.failed++;
        this.logger.warn(`reconciliation of a ${options.group} record failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return report;
  }
}
