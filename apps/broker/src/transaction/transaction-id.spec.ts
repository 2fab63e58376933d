import { decodeTransactionId, encodeTransactionId } from './transaction-id';

describe('transaction id', () => {
  it('names the half message record, also for offsets beyond 32 bits', () => {
    for (const parts of [
      { offset: 0, size: 1 },
      { offset: 4096, size: 310 },
      { offset: 2 ** 40 + 7, size: 4 * 1024 * 1024 },
    ]) {
      const id = encodeTransactionId(parts);
      expect(id).toMatch(/^01[0-9A-F]{32}$/);
      expect(decodeTransactionId(id)).toEqual(parts);
      expect(decodeTransactionId(id.toLowerCase())).toEqual(parts);
    }
    expect(encodeTransactionId({ offset: 1, size: 2 })).not.toBe(encodeTransactionId({ offset: 2, size: 1 }));
  });

  it('tells garbled text from an id', () => {
    const id = encodeTransactionId({ offset: 123_456, size: 789 });
    const flipped = (i: number) => id.slice(0, i) + (id[i] === 'A' ? 'B' : 'A') + id.slice(i + 1);
    for (let i = 0; i < id.length; i++) expect(decodeTransactionId(flipped(i))).toBeUndefined();
    for (const text of ['', 'abc', id + '0', id.slice(1), 'Z'.repeat(34), '7F0000010001000000000000000A']) {
      expect(decodeTransactionId(text)).toBeUndefined();
    }
  });
});
