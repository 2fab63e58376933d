/** Settings of the delay scheduler, with their defaults (merged once in the constructor). */
export interface DelaySchedulerSettings {
  /**
   * The longest the timer sleeps before it reads the clock again, even when the next message
   * is due later. Timers run on a monotonic clock while due times are wall-clock times, so after
   * a wall-clock jump forward a message is late by at most this much. Default 10 s.
   */
  maxTimerDelayMs: number;
  /** The most messages one timer run re-appends; further due ones follow in the next run, at once. Default 256. */
  maxDeliveriesPerRun: number;
  /** After deliveries, the progress file is written at most this often (and always at close). Default 100 ms. */
  progressWriteIntervalMs: number;
  /** When the store refuses a re-append (not running, failed), the run is retried after this. Default 1 s. */
  retryDelayMs: number;
  /** Schedule-queue entries read per page when open() rebuilds the pending set. Default 512. */
  recoveryPageSize: number;
}

export const DELAY_SCHEDULER_DEFAULTS: DelaySchedulerSettings = {
  maxTimerDelayMs: 10_000,
  maxDeliveriesPerRun: 256,
  progressWriteIntervalMs: 100,
  retryDelayMs: 1_000,
  recoveryPageSize: 512,
};
