import { Counter, Gauge, Registry } from 'prom-client';

/** The outcome label of an attempt: the status class, or why there was no status. */
export type AttemptOutcomeLabel = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'error';

export function attemptOutcomeLabel(statusCode: number | undefined, timedOut: boolean): AttemptOutcomeLabel {
  if (timedOut) return 'timeout';
  if (statusCode === undefined || statusCode < 200 || statusCode >= 600) return 'error';
  return `${Math.floor(statusCode / 100)}xx` as AttemptOutcomeLabel;
}

/**
 * Notification metrics on the app's registry: row counts by status (read from the table at
 * scrape time, so every instance reports the same truth, not its own share) and attempts by
 * outcome (counted by this instance's worker).
 */
export class NotificationMetrics {
  private readonly attempts: Counter<'outcome'>;

  constructor(registry: Registry, countByStatus: () => Promise<Record<string, number>>) {
    new Gauge({
      name: 'mq_notification_rows',
      help: 'Notifications by status (pending, delivering, delivered, failed; waiting = pending on a disabled endpoint)',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const counts = await countByStatus();
        for (const status of ['pending', 'waiting', 'delivering', 'delivered', 'failed']) this.set({ status }, counts[status] ?? 0);
      },
    });
    this.attempts = new Counter({
      name: 'mq_notification_attempts_total',
      help: 'Delivery attempts by outcome (status class, timeout, error)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  recordAttempt(statusCode: number | undefined, timedOut: boolean): void {
    this.attempts.inc({ outcome: attemptOutcomeLabel(statusCode, timedOut) });
  }
}
