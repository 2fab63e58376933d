import { HalfMessageTable } from './half-message-table';
import { parseTransactionState } from './transaction-state-file';

describe('transaction state file', () => {
  function tableWithContent(): HalfMessageTable {
    const table = new HalfMessageTable({ transactionTimeoutMs: 6_000, maxResolved: 10 });
    const details = { producerGroup: 'payments', bornTimestampMs: 1_000, checkImmunityMs: 0 };
    for (const [offset, id] of [
      [0, 'A'],
      [300, 'B'],
      [600, 'C'],
      [900, 'D'],
    ] as const) {
      table.addHalf({ offset, size: 300, topic: 'payments', queueId: 1, messageId: id, storeTimestampMs: 2_000 }, details);
      table.advance({ offset, size: 300, messageId: id });
    }
    table.applyOp('commit', 300);
    table.applyOp('rollback', 0);
    table.applyOp('check-max', 600, 15);
    table.advance({ offset: 1200, size: 100, messageId: 'OP' });
    return table;
  }

  it('round-trips the table: unresolved half messages, check counts and resolutions in order', () => {
    const document = tableWithContent().toDocument();
    const parsed = parseTransactionState(JSON.stringify(document));
    expect(parsed).toEqual(document);
    expect(document).toMatchObject({
      appliedOffset: 1300,
      lastRecord: { offset: 1200, size: 100, messageId: 'OP' },
      resolvedOffsets: [300, 0],
      resolvedStates: 'CR',
    });

    const reloaded = new HalfMessageTable({ transactionTimeoutMs: 6_000, maxResolved: 10 });
    reloaded.load(document);
    expect([...reloaded.entries()].map((entry) => [entry.messageId, entry.state, entry.checkCount])).toEqual([
      ['C', 'check-max', 15],
      ['D', 'pending', 0],
    ]);
    expect([reloaded.resolution(300), reloaded.resolution(0), reloaded.resolution(900)]).toEqual(['committed', 'rolled-back', undefined]);
    expect(reloaded.toDocument()).toEqual(document);
  });

  it('names what is wrong with a document that is not one', () => {
    const valid = tableWithContent().toDocument();
    const cases: Array<[unknown, string]> = [
      ['{', 'not JSON'],
      [[], 'not a JSON object'],
      [{ ...valid, version: 2 }, 'unknown version'],
      [{ ...valid, appliedOffset: -1 }, 'appliedOffset'],
      [{ ...valid, lastRecord: { offset: 1300, size: 10, messageId: 'X' } }, 'lastRecord ends after'],
      [{ ...valid, halves: [...valid.halves].reverse() }, 'ascending'],
      [{ ...valid, halves: [{ ...valid.halves[0], state: 'committed' }] }, 'unknown state'],
      [{ ...valid, halves: [{ ...valid.halves[0], offset: 5_000 }] }, 'after appliedOffset'],
      [{ ...valid, resolvedStates: 'C' }, 'resolvedStates'],
      [{ ...valid, resolvedOffsets: [1.5, 2] }, 'resolvedOffsets'],
    ];
    for (const [value, reason] of cases) {
      expect(parseTransactionState(typeof value === 'string' ? value : JSON.stringify(value))).toEqual(expect.stringContaining(reason));
    }
  });

  it('forgets the oldest resolutions past its bound', () => {
    const table = new HalfMessageTable({ transactionTimeoutMs: 6_000, maxResolved: 2 });
    const details = { producerGroup: undefined, bornTimestampMs: 0, checkImmunityMs: 0 };
    for (let i = 0; i < 4; i++) {
      table.addHalf({ offset: i * 100, size: 100, topic: 't', queueId: 0, messageId: `M${i}`, storeTimestampMs: 0 }, details);
    }
    for (const offset of [200, 0, 300, 100]) table.applyOp('commit', offset);
    expect([0, 100, 200, 300].map((offset) => table.resolution(offset))).toEqual([undefined, 'committed', undefined, 'committed']);
    expect(table.resolvedCount()).toBe(2);
  });
});
