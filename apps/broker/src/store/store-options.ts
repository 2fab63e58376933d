import { DiskUsageLimits } from './disk-usage-guard';

/** How the commit log acknowledges an append (RocketMQ's `flushDiskType`). */
export type FlushDiskType = 'SYNC_FLUSH' | 'ASYNC_FLUSH';

/** The file store's settings. Defaults are in store.defaults.ts. */
export interface StoreOptions extends DiskUsageLimits {
  /** Root directory: commitlog/, consumequeue/, index/, checkpoint, marker files. */
  dir: string;
  /** Maximum size of one commit-log segment file. */
  segmentSizeBytes: number;
  /**
   * `SYNC_FLUSH`: an append is acknowledged after fdatasync covers it; concurrent appends share
   * one fdatasync (group commit). `ASYNC_FLUSH`: acknowledged after the write reaches the page
   * cache; the log is flushed every `flushIntervalMs`.
   */
  flushDiskType: FlushDiskType;
  flushIntervalMs: number;
  /** How often consume queues, indexes and the checkpoint are persisted. */
  checkpointIntervalMs: number;
  /** Segments whose last write is older than this are deleted (unless active). */
  fileReservedTimeHours: number;
  /**
   * While a write or sync of a store file fails (disk full, I/O error), how often the store tries
   * to rewind its log and sync again; appends resume once that works.
   */
  writeRetryIntervalMs: number;
  /** How often retention runs. */
  retentionCheckIntervalMs: number;
  /**
   * How often the partition's usage is read against the DiskUsageLimits (percentages of the
   * partition, Apache RocketMQ's names; disk-usage-guard.ts). Apache checks every 10 s.
   */
  diskCheckIntervalMs: number;
  /** Largest encoded record accepted. */
  maxMessageSizeBytes: number;
  /**
   * Bytes of the log's tail kept in memory, so consumers that keep up read from memory instead
   * of the file (0: off). Allocated once, at open.
   */
  tailCacheBytes: number;
  /** Entries per consume-queue file (20 bytes each; RocketMQ uses 300,000). */
  consumeQueueEntriesPerFile: number;
  /**
   * On a corrupt record before the tail: `false` refuses to open (naming file and offset);
   * `true` truncates the log there and reports what was dropped.
   */
  repair: boolean;
}
