import { STORE_DEFAULTS } from '../store/store.defaults';
import { MESSAGING_DEFAULTS } from './messaging.defaults';
import { maxReceiveMessageBytes, REQUEST_FRAMING_ALLOWANCE_BYTES, storeBatchLimitBytes } from './inbound-message-limit';

const MIB = 1024 * 1024;

describe('maxReceiveMessageBytes', () => {
  it('caps the proxy-sized default at the default store batch limit plus the framing allowance', () => {
    expect(MESSAGING_DEFAULTS.maxInboundMessageBytes).toBe(130 * MIB);
    const limit = maxReceiveMessageBytes(MESSAGING_DEFAULTS.maxInboundMessageBytes, STORE_DEFAULTS.segmentSizeBytes);
    expect(limit).toBe(64 * MIB - 8 + REQUEST_FRAMING_ALLOWANCE_BYTES);
    expect(limit).toBeLessThan(66 * MIB);
  });

  it('follows the segment size, and keeps a lower configured value', () => {
    expect(maxReceiveMessageBytes(130 * MIB, 4 * MIB)).toBe(storeBatchLimitBytes(4 * MIB) + REQUEST_FRAMING_ALLOWANCE_BYTES);
    expect(maxReceiveMessageBytes(130 * MIB, 1024 * MIB)).toBe(130 * MIB);
    expect(maxReceiveMessageBytes(2 * MIB, 64 * MIB)).toBe(2 * MIB);
  });
});
