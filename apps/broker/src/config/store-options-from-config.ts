import { StoreOptions } from '../store/store-options';
import { BrokerConfig } from './broker-config';

/**
 * Room for a record's header, topic, keys and properties on top of the largest body. The
 * broker's `maxMessageSizeBytes` limits the body (as RocketMQ's `maxMessageSize` does) while the
 * store's limits the encoded record; 64 KiB is the same margin STORE_DEFAULTS adds to 4 MiB.
 */
export const RECORD_HEADROOM_BYTES = 64 * 1024;

/** The store settings the broker configures; the rest keep the store's defaults. */
export function storeOptionsFromConfig(config: BrokerConfig): Partial<Omit<StoreOptions, 'dir'>> & { dir: string } {
  return {
    dir: config.storeDir,
    flushDiskType: config.flushDiskType,
    flushIntervalMs: config.flushIntervalMs,
    segmentSizeBytes: config.segmentSizeBytes,
    fileReservedTimeHours: config.fileReservedTimeHours,
    diskMaxUsedSpaceRatio: config.diskMaxUsedSpaceRatio,
    diskSpaceWarningLevelRatio: config.diskSpaceWarningLevelRatio,
    diskSpaceCleanForciblyRatio: config.diskSpaceCleanForciblyRatio,
    maxMessageSizeBytes: config.maxMessageSizeBytes + RECORD_HEADROOM_BYTES,
    repair: config.repair,
  };
}
