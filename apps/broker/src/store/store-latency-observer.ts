/**
 * Where the store reports how long its writes take (store-metrics.ts turns the reports into
 * histograms). Called on the write path, once per append and once per fdatasync: it must not
 * throw, wait or allocate much.
 */
export interface StoreLatencyObserver {
  /** An append acknowledged: seconds from append() to the acknowledgement (written, and synced under SYNC_FLUSH). */
  appendAcknowledged(seconds: number): void;
  /** The commit log synced to disk (fdatasync of the segments that needed it): seconds it took. */
  flushed(seconds: number): void;
}
