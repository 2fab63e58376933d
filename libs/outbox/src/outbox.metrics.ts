import { LoggerService } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { OutboxBacklog } from './sql/outbox.sql';

/** How a @TransactionalMessage local transaction ended: committed, rolled back, or a commit whose outcome is unknown (the check-back decides). */
export type LocalTransactionResult = 'committed' | 'rolled_back' | 'unknown';

/** A backlog read this recently is reused: one scrape reads both backlog gauges with one query. */
const BACKLOG_REUSE_MS = 1_000;

/**
 * @app/outbox's Prometheus metrics, on the registry given as `metrics.registry`
 * (OutboxModuleOptions); without one every method does nothing and nothing is registered:
 * - `mq_outbox_pending_rows` (gauge): `mq_outbox` rows waiting for the relay, read from the table
 *   at scrape time (every instance reports the same truth).
 * - `mq_outbox_oldest_pending_seconds` (gauge): how long the oldest of them has waited; a relay
 *   that is stuck or a broker that is down shows here first.
 * - `mq_outbox_relayed_total{result}`: rows this instance's relay sent (`sent`) or gave up on
 *   after `relay.maxAttempts` refusals (`failed`).
 * - `mq_consumer_duplicates_skipped_total{consumer_group}`: deliveries an @IdempotentConsumer
 *   skipped because `mq_consumed` already had their key.
 * - `mq_local_transactions_total{topic,result}`: local transactions of @TransactionalMessage
 *   methods in half-message mode, `committed`, `rolled_back` (the method, the half send or the
 *   row insert failed) or `unknown` (the commit failed without a known outcome).
 * If the backlog query fails (database down) the gauges read NaN rather than failing the scrape,
 * so the other metrics on the registry are still served.
 */
export class OutboxMetrics {
  private readonly relayed: Counter<'result'> | undefined;
  private readonly duplicates: Counter<'consumer_group'> | undefined;
  private readonly localTransactions: Counter<'topic' | 'result'> | undefined;
  private backlog: { readAtMs: number; value: Promise<OutboxBacklog | undefined> } | undefined;

  constructor(
    registry: Registry | undefined,
    private readonly readBacklog: () => Promise<OutboxBacklog>,
    private readonly logger: LoggerService,
  ) {
    if (!registry) return;
    const registers = [registry];
    const backlogOf = (): Promise<OutboxBacklog | undefined> => this.currentBacklog();
    new Gauge({
      name: 'mq_outbox_pending_rows',
      help: 'mq_outbox rows waiting for the relay (read from the table at scrape time).',
      registers,
      async collect() {
        this.set((await backlogOf())?.pending ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'mq_outbox_oldest_pending_seconds',
      help: 'Seconds the oldest pending mq_outbox row has waited (0 when none).',
      registers,
      async collect() {
        this.set((await backlogOf())?.oldestPendingSeconds ?? Number.NaN);
      },
    });
    this.relayed = new Counter({
      name: 'mq_outbox_relayed_total',
      help: 'mq_outbox rows relayed by this instance, by result (sent, failed).',
      labelNames: ['result'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'mq_consumer_duplicates_skipped_total',
      help: 'Deliveries an @IdempotentConsumer skipped as duplicates, by consumer group.',
      labelNames: ['consumer_group'],
      registers,
    });
    this.localTransactions = new Counter({
      name: 'mq_local_transactions_total',
      help: 'Local transactions of @TransactionalMessage methods (half-message mode), by topic and result (committed, rolled_back, unknown).',
      labelNames: ['topic', 'result'],
      registers,
    });
  }

  relayedRows(result: 'sent' | 'failed', count = 1): void {
    if (count > 0) this.relayed?.inc({ result }, count);
  }

  duplicateSkipped(group: string): void {
    this.duplicates?.inc({ consumer_group: group });
  }

  localTransactionEnded(topic: string, result: LocalTransactionResult): void {
    this.localTransactions?.inc({ topic, result });
  }

  private currentBacklog(): Promise<OutboxBacklog | undefined> {
    const now = performance.now();
    if (this.backlog && now - this.backlog.readAtMs < BACKLOG_REUSE_MS) return this.backlog.value;
    const value = this.readBacklog().catch((error: unknown) => {
      this.logger.warn(`reading the outbox backlog for the metrics failed: ${String(error)}`);
      return undefined;
    });
    this.backlog = { readAtMs: now, value };
    return value;
  }
}
