/** The delivery engine's settings. Defaults are in delivery.defaults.ts. */
export interface DeliveryOptions {
  /** Directory of `delivery-state.json` (pop consumers) and `consumer-offsets.json` (queue-offset consumers). */
  stateDir: string;
  /**
   * The clock that invisibility, redelivery and receipt-handle expiry follow. Tests inject one so
   * redelivery needs no sleeping; long-polling deadlines always use the real monotonic clock.
   */
  now: () => number;
  /** Shortest invisible duration a receive may ask for (the proxy's `minInvisibleTimeMillsForRecv`). */
  minReceiveInvisibleDurationMs: number;
  /** Longest invisible duration for receive and change-invisible-duration (the proxy's `maxInvisibleTimeMills`). */
  maxInvisibleDurationMs: number;
  /** Largest receive batch (the broker's pop limit, `ProxyUtils.MAX_MSG_NUMS_FOR_POP_REQUEST`). */
  maxBatchSize: number;
  /** A longer requested long-polling timeout is cut to this (`grpcClientConsumerMaxLongPollingTimeoutMillis`). */
  maxLongPollingTimeoutMs: number;
  /**
   * Receives and pulls waiting at once. One more receive is refused with `polling-full` (the
   * client backs off and retries); one more pull answers no messages, as a pull that found none.
   */
  maxLongPollingWaiters: number;
  /**
   * How far a group may run ahead of its acknowledged frontier on one queue (messages received
   * but not yet acknowledged, plus everything acknowledged behind an older unacknowledged one).
   * Bounds the per-queue state; when it is reached the queue hands out only redeliveries.
   */
  maxUnackedMessagesPerQueue: number;
  /** Consume-queue entries one receive or pull examines per queue (bounds the work of sparse filters). */
  maxScanEntriesPerRequest: number;
  /** How often group state is written when it changed. */
  persistIntervalMs: number;
  /** When moving a message to the dead-letter queue fails, it is tried again after this long. */
  deadLetterRetryDelayMs: number;
}
