import type { Registry } from 'prom-client';
import type { NotificationClock } from './notification-clock';

/** Options of NotificationModule (`forRoot` / `forRootAsync`); defaults in notification.defaults.ts. */
export interface NotificationModuleOptions {
  /** Schema of the `mq_notification*` tables. Default `public`. */
  schema?: string;
  /** Run the delivery worker in this process. Default true; false for API-only instances. */
  workerEnabled?: boolean;
  /** How often an idle worker looks for due notifications. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Notifications claimed (and sent concurrently) per round. Default 10. */
  batchSize?: number;
  /**
   * How long a claim lasts. A worker that dies mid-delivery holds its rows this long, then another
   * worker takes them. Must exceed the longest endpoint timeout, or a slow send could be repeated
   * concurrently. Default 60 000 ms.
   */
  claimTtlMs?: number;
  /** Request timeout when the endpoint sets none. Default 10 000 ms. */
  timeoutMs?: number;
  /** Delays between attempts when the endpoint sets none (length + 1 attempts in all). Default the WeChat Pay ladder, 24h04m. */
  retryLadderMs?: readonly number[];
  /** Each delay is multiplied by a random factor in [1 - ratio, 1 + ratio]. Default 0.2. */
  jitterRatio?: number;
  /** Least delay after a timeout or 429/502/503/504: the receiver is overloaded. Default 60 000 ms. */
  overloadedMinDelayMs?: number;
  /** `Retry-After` is honoured up to this. Default 6 h. */
  retryAfterMaxMs?: number;
  /** An endpoint failing for this long with no success is disabled (circuit breaker). Default 120 h. */
  disableAfterHours?: number;
  /** Bytes of a response body kept in `mq_notification_attempt`. Default 1024. */
  responseExcerptBytes?: number;
  /**
   * Addresses or CIDR ranges the SSRF guard lets through although they are loopback, private,
   * link-local or reserved (`127.0.0.1`, `10.0.0.0/8`, `::1`). Default none.
   */
  allowedAddresses?: readonly string[];
  /**
   * Delivered notifications (and their attempts) are deleted this long after delivery. Default 30
   * days. It is also how long a repeated idempotency key of a delivered notification is recognised.
   * Failed notifications are never pruned: they wait to be re-sent or looked at.
   */
  retentionMs?: number;
  /** How often delivered notifications are pruned. Default 1 h; 0 disables pruning in this process. */
  pruneIntervalMs?: number;
  /** Where the time comes from; tests pass a ManualClock. Default the system clock. */
  clock?: NotificationClock;
  /**
   * Prometheus metrics (`mq_notification_rows`, `mq_notification_attempts_total`) on this
   * prom-client registry, which the application serves on its /metrics; spelt as MqModule and
   * OutboxModule spell it. Default a registry of the module's own (NOTIFICATION_METRICS_REGISTRY).
   */
  metrics?: {
    registry: Registry;
  };
  /**
   * @deprecated Use `metrics: { registry }`. Still accepted in 0.x releases up to the next minor
   * one, then removed; giving both with different registries is refused.
   */
  metricsRegistry?: Registry;
}
