import { StoreOptions } from './store-options';

/** Defaults for everything in StoreOptions but `dir`, merged once by the stores. */
export const STORE_DEFAULTS: Omit<StoreOptions, 'dir'> = {
  /** 64 MiB: small enough to retain and recover quickly, large enough to roll rarely. */
  segmentSizeBytes: 64 * 1024 * 1024,
  flushDiskType: 'ASYNC_FLUSH',
  flushIntervalMs: 500,
  checkpointIntervalMs: 1000,
  fileReservedTimeHours: 72,
  retentionCheckIntervalMs: 60_000,
  /** Apache RocketMQ's ceilings and its 10 s check (cleanResourceInterval). */
  diskCheckIntervalMs: 10_000,
  diskMaxUsedSpaceRatio: 75,
  diskSpaceWarningLevelRatio: 90,
  diskSpaceCleanForciblyRatio: 85,
  /** 1 s: senders see a full disk cleared within about a second of space being freed. */
  writeRetryIntervalMs: 1000,
  /** RocketMQ's default maxMessageSize (4 MiB) plus room for headers and properties. */
  maxMessageSizeBytes: 4 * 1024 * 1024 + 64 * 1024,
  consumeQueueEntriesPerFile: 300_000,
  /** 16 MiB: 16,000 messages of 1 KiB, several seconds of a busy topic. */
  tailCacheBytes: 16 * 1024 * 1024,
  repair: false,
};
