import { DispatchDecoder } from './dispatch-decoder';
import { MessageInput, RecordType } from './message-record';
import { SystemProperty } from './message-properties';
import { encodeRecord, measureRecord } from './record-codec';

/** A record as the append path writes it, at `pos` of a fresh buffer. */
function encoded(input: MessageInput, pos = 16): Buffer {
  const measured = measureRecord(input);
  if ('error' in measured) throw new Error(measured.error);
  const buf = Buffer.alloc(pos + measured.size);
  encodeRecord(measured, buf, pos, 7, 1_700_000_000_123, false);
  return buf;
}

describe('DispatchDecoder', () => {
  const decoder = new DispatchDecoder();

  it('reads back what the live dispatch carries: born time, tag and keys, and any property on demand', () => {
    const input: MessageInput = {
      type: RecordType.Prepared,
      topic: 'pay',
      queueId: 3,
      messageId: 'm-1',
      bornTimestampMs: 1_700_000_000_001,
      tag: 'created',
      keys: ['k1', 'k2'],
      properties: { PGROUP: 'payments', __TRANSACTION_CHECK_IMMUNITY_MS: '60000', TRAN_MSG: 'true' },
      body: Buffer.from('x'),
    };
    const buf = encoded(input);
    const record = decoder.decode(buf, 16, 4096, buf.length - 16, 0);
    expect(record).toMatchObject({ type: RecordType.Prepared, topic: 'pay', queueId: 3, messageId: 'm-1', bornTimestampMs: 1_700_000_000_001 });
    expect(record.storeTimestampMs).toBe(1_700_000_000_123);
    expect(record.keys).toEqual(['k1', 'k2']);
    expect(record.property('PGROUP')).toBe('payments');
    expect(record.property('__TRANSACTION_CHECK_IMMUNITY_MS')).toBe('60000');
    expect(record.property('TRAN_MSG')).toBe('true');
    expect(record.property(SystemProperty.Tag)).toBe('created');
    // A name that is only a suffix of another, or absent, is not found.
    expect(record.property('GROUP')).toBeUndefined();
    expect(record.property('absent')).toBeUndefined();
  });

  it('a record without properties answers undefined for every name', () => {
    const buf = encoded({ topic: 'orders', queueId: 0, messageId: 'm-2', bornTimestampMs: 5, body: Buffer.from('y') }, 0);
    const record = decoder.decode(buf, 0, 0, buf.length, 0);
    expect(record.bornTimestampMs).toBe(5);
    expect(record.property('PGROUP')).toBeUndefined();
  });
});
