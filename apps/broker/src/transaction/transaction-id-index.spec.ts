import { IndexedHalf, TransactionIdIndex } from './transaction-id-index';

function half(offset: number, messageId: string, topic = 'payments', state: IndexedHalf['state'] = 'pending'): IndexedHalf {
  return { offset, size: 100 + offset, topic, messageId, state };
}

describe('TransactionIdIndex: from a transaction id (the message id) to unresolved half messages', () => {
  it('finds a half message by its message id within its topic, and nothing for another id or topic', () => {
    const index = new TransactionIdIndex();
    const entry = half(10, 'M1');
    index.add(entry);
    expect(index.locate('M1', 'payments')).toMatchObject({ offset: 10, size: 110 });
    expect(index.locate('M1', undefined)).toMatchObject({ offset: 10 });
    expect(index.locate('M1', 'orders')).toBeUndefined();
    expect(index.locate('M2', 'payments')).toBeUndefined();
    index.remove(entry);
    expect(index.locate('M1', 'payments')).toBeUndefined();
  });

  it('names the oldest pending half message of a resent id first; a check-max one only when none is pending', () => {
    const index = new TransactionIdIndex();
    const [first, second, third] = [half(10, 'M'), half(20, 'M', 'payments', 'check-max'), half(30, 'M')];
    for (const entry of [first, second, third]) index.add(entry);
    expect(index.locate('M', 'payments')?.offset).toBe(10);
    index.remove(first);
    expect(index.locate('M', 'payments')?.offset).toBe(30);
    index.remove(third);
    expect(index.locate('M', 'payments')?.offset).toBe(20);
    index.remove(second);
    expect(index.locate('M', 'payments')).toBeUndefined();
    // Removing what is not there changes nothing.
    index.add(first);
    index.remove(third);
    expect(index.locate('M', 'payments')?.offset).toBe(10);
  });

  it('keeps one id in two topics apart (Apache keys transaction data by producer group, the topic in v2)', () => {
    const index = new TransactionIdIndex();
    const [payments, orders] = [half(10, 'M', 'payments'), half(20, 'M', 'orders')];
    index.add(payments);
    index.add(orders);
    expect(index.locate('M', 'orders')?.offset).toBe(20);
    expect(index.locate('M', 'payments')?.offset).toBe(10);
    expect(index.locate('M', undefined)?.offset).toBe(10);
    expect(index.locate('M', 'refunds')).toBeUndefined();
    index.remove(payments);
    expect(index.locate('M', 'payments')).toBeUndefined();
    expect(index.locate('M', undefined)?.offset).toBe(20);
    index.clear();
    expect(index.locate('M', 'orders')).toBeUndefined();
  });
});
