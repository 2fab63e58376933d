import { BROKER_CONFIG_DEFAULTS } from './broker-config.defaults';
import { RECORD_HEADROOM_BYTES, storeOptionsFromConfig } from './store-options-from-config';

describe('storeOptionsFromConfig', () => {
  it('passes the store settings through and leaves record headroom above the body limit', () => {
    const config = { ...BROKER_CONFIG_DEFAULTS, storeDir: '/s', flushDiskType: 'SYNC_FLUSH' as const, repair: true };
    expect(storeOptionsFromConfig(config)).toEqual({
      dir: '/s',
      flushDiskType: 'SYNC_FLUSH',
      flushIntervalMs: config.flushIntervalMs,
      segmentSizeBytes: config.segmentSizeBytes,
      fileReservedTimeHours: config.fileReservedTimeHours,
      diskMaxUsedSpaceRatio: 75,
      diskSpaceWarningLevelRatio: 90,
      diskSpaceCleanForciblyRatio: 85,
      maxMessageSizeBytes: config.maxMessageSizeBytes + RECORD_HEADROOM_BYTES,
      repair: true,
    });
  });
});
