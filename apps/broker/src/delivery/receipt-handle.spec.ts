import { MALFORMED_RECEIPT_HANDLE, ReceiptHandle, decodeReceiptHandle, encodeReceiptHandle, receiptHandleExpiresAtMs } from './receipt-handle';

const HANDLE: ReceiptHandle = {
  topic: 'payment-succeeded',
  queueId: 3,
  queueOffset: 2 ** 40 + 7,
  deliveryId: 1_767_225_600_000_123,
  receivedAtMs: 1_767_225_600_000,
  invisibleDurationMs: 12 * 3_600_000,
};

describe('receipt handle', () => {
  it('decodes what it encoded, as URL-safe text', () => {
    const text = encodeReceiptHandle(HANDLE);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeReceiptHandle(text)).toEqual({ ok: true, handle: HANDLE });
    expect(receiptHandleExpiresAtMs(HANDLE)).toBe(HANDLE.receivedAtMs + HANDLE.invisibleDurationMs);
    const unicode = { ...HANDLE, topic: 'zahlungen-€' };
    expect(decodeReceiptHandle(encodeReceiptHandle(unicode))).toEqual({ ok: true, handle: unicode });
  });

  it('refuses anything it did not issue as malformed: other text, truncation, extension, any changed byte', () => {
    const text = encodeReceiptHandle(HANDLE);
    const bytes = Buffer.from(text, 'base64url');
    const candidates = ['', ' ', 'receipt', text + '=', text.slice(0, -1), text + 'AA', '%%%%', 'A'.repeat(100_000)];
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] ^= 0x01;
      candidates.push(changed.toString('base64url'));
    }
    for (const candidate of candidates) expect(decodeReceiptHandle(candidate)).toEqual({ ok: false, reason: MALFORMED_RECEIPT_HANDLE });
  });

  it('treats fields that cannot fit as programmer errors', () => {
    expect(() => encodeReceiptHandle({ ...HANDLE, queueId: 70_000 })).toThrow(RangeError);
    expect(() => encodeReceiptHandle({ ...HANDLE, invisibleDurationMs: -1 })).toThrow(RangeError);
  });
});
