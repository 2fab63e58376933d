import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TransactionResolution, TransactionSource } from './transaction.types';

/** The counts the gauges read at each scrape (TransactionService provides them). */
export interface TransactionCounts {
  pendingCount(): number;
  checkMaxCount(): number;
}

/** Buckets of the finish-latency histogram, in seconds: 10 ms to 1 h. */
const FINISH_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The transaction layer's Prometheus metrics, in a registry of their own by default (not the
 * global one), so tests and several brokers in one process never clash. The admin layer serves
 * `registry.metrics()` as text on `/metrics`; pass a shared registry to combine with other
 * metrics.
 *
 * - `rocketmq_broker_half_messages_pending` (gauge): half messages waiting for a resolution.
 * - `rocketmq_broker_half_messages_check_max` (gauge): half messages in TRANS_CHECK_MAX_TIME_TOPIC
 *   waiting for an operator.
 * - `rocketmq_broker_transactions_committed_total{source}` and
 *   `rocketmq_broker_transactions_rolled_back_total{source}` (counters), source one of `client`,
 *   `server-check` (the producer's answer to a check-back), `admin`. Duplicates are not counted.
 * - `rocketmq_broker_transaction_checks_sent_total` (counter): check-backs written to a live
 *   producer (attempts without one are not counted).
 * - `rocketmq_broker_transaction_check_max_total` (counter): half messages moved to
 *   TRANS_CHECK_MAX_TIME_TOPIC.
 * - `rocketmq_broker_transaction_finish_seconds` (histogram): from the half message's store time to
 *   its commit or rollback.
 */
export class TransactionMetrics {
  readonly registry: Registry;
  private readonly committed: Counter<'source'>;
  private readonly rolledBack: Counter<'source'>;
  private readonly checksSent: Counter;
  private readonly checkMax: Counter;
  private readonly finish: Histogram;
  private counts: TransactionCounts | undefined;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const counts = (): TransactionCounts | undefined => this.counts;
    new Gauge({
      name: 'rocketmq_broker_half_messages_pending',
      help: 'Half messages (transactional messages) stored and not yet committed or rolled back.',
      registers,
      collect() {
        this.set(counts()?.pendingCount() ?? 0);
      },
    });
    new Gauge({
      name: 'rocketmq_broker_half_messages_check_max',
      help: 'Half messages moved to TRANS_CHECK_MAX_TIME_TOPIC after transactionCheckMax check-backs, waiting for an operator.',
      registers,
      collect() {
        this.set(counts()?.checkMaxCount() ?? 0);
      },
    });
    this.committed = new Counter({
      name: 'rocketmq_broker_transactions_committed_total',
      help: 'Transactions committed, by who resolved them (client, server-check, admin).',
      labelNames: ['source'],
      registers,
    });
    this.rolledBack = new Counter({
      name: 'rocketmq_broker_transactions_rolled_back_total',
      help: 'Transactions rolled back, by who resolved them (client, server-check, admin).',
      labelNames: ['source'],
      registers,
    });
    this.checksSent = new Counter({
      name: 'rocketmq_broker_transaction_checks_sent_total',
      help: 'Check-back commands (RecoverOrphanedTransactionCommand) sent to a live producer.',
      registers,
    });
    this.checkMax = new Counter({
      name: 'rocketmq_broker_transaction_check_max_total',
      help: 'Half messages moved to TRANS_CHECK_MAX_TIME_TOPIC after transactionCheckMax check-backs.',
      registers,
    });
    this.finish = new Histogram({
      name: 'rocketmq_broker_transaction_finish_seconds',
      help: 'Time from storing a half message to its commit or rollback.',
      buckets: FINISH_BUCKETS_SECONDS,
      registers,
    });
    for (const source of ['client', 'server-check', 'admin'] as const) {
      // Every series exists from the start, so a rate() over a fresh broker is 0, not absent.
      this.committed.inc({ source }, 0);
      this.rolledBack.inc({ source }, 0);
    }
  }

  /** Where the gauges read their values (set by TransactionService). */
  bindCounts(counts: TransactionCounts): void {
    this.counts = counts;
  }

  recordResolution(resolution: TransactionResolution, source: TransactionSource, finishSeconds: number): void {
    (resolution === 'COMMIT' ? this.committed : this.rolledBack).inc({ source });
    this.finish.observe(Math.max(0, finishSeconds));
  }

  recordCheckSent(): void {
    this.checksSent.inc();
  }

  recordCheckMax(): void {
    this.checkMax.inc();
  }
}
