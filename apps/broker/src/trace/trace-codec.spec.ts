import { decodeTraceEvents, encodeTraceBody } from './trace-codec';
import { TraceEvent } from './trace-events';

const origin = { storeHost: '127.0.0.1:8081' };
const base = { timeMs: 1_700_000_000_123, messageId: '01ABC', topic: 'orders', keys: ['order-1', 'customer-7'] };

/** The fields of one record, split as Apache's TraceDataEncoder.decoderFromTraceDataString does. */
function fieldsOf(body: string): string[] {
  expect(body.endsWith('\u0002')).toBe(true);
  return body.slice(0, -1).split('\u0001');
}

describe('trace records in the layout of Apache RocketMQ TraceDataEncoder', () => {
  it('writes Pub with its 14 fields: type, time, region, group, topic, id, tags, keys, store host, body length, cost, type ordinal, offset id, success', () => {
    const event: TraceEvent = {
      ...base,
      type: 'Pub',
      tag: 'paid',
      messageType: 'Trans_Msg_Half',
      bodyLength: 42,
      clientId: 'c-1',
      queueId: 3,
      commitLogOffset: 4096,
      costMs: 2,
    };
    expect(fieldsOf(encodeTraceBody(event, origin))).toEqual([
      'Pub',
      '1700000000123',
      'DefaultRegion',
      'orders',
      'orders',
      '01ABC',
      'paid',
      'order-1 customer-7',
      '127.0.0.1:8081',
      '42',
      '2',
      '1',
      '01ABC',
      'true',
    ]);
  });

  it('writes SubBefore (8 fields), SubAfter (9) and EndTransaction (13) as Apache does', () => {
    expect(fieldsOf(encodeTraceBody({ ...base, type: 'SubBefore', group: 'g', clientId: 'c-2', attempt: 3 }, origin))).toEqual([
      'SubBefore',
      '1700000000123',
      'DefaultRegion',
      'g',
      'c-2',
      '01ABC',
      '2',
      'order-1 customer-7',
    ]);
    expect(fieldsOf(encodeTraceBody({ ...base, type: 'SubAfter', group: 'g', clientId: 'c-2' }, origin))).toEqual([
      'SubAfter',
      'c-2',
      '01ABC',
      '0',
      'true',
      'order-1 customer-7',
      '0',
      '1700000000123',
      'g',
    ]);
    const end = encodeTraceBody({ ...base, type: 'EndTransaction', transactionId: 'tx-1', resolution: 'ROLLBACK', source: 'server-check' }, origin);
    expect(fieldsOf(end)).toEqual([
      'EndTransaction',
      '1700000000123',
      'DefaultRegion',
      'orders',
      'orders',
      '01ABC',
      '',
      'order-1 customer-7',
      '127.0.0.1:8081',
      '1',
      'tx-1',
      'ROLLBACK_MESSAGE',
      'true',
    ]);
  });

  it('reads back the event a record carries, and nothing from a foreign or broken property', () => {
    const event: TraceEvent = { ...base, type: 'CheckBack', transactionId: 'tx-1', clientId: 'c-1', checkCount: 2 };
    const other: TraceEvent = { ...base, messageId: '01DEF', type: 'SubAfter', group: 'g', clientId: 'c-2' };
    expect(decodeTraceEvents(JSON.stringify([event, other]))).toEqual([event, other]);
    expect(decodeTraceEvents(JSON.stringify(event))).toEqual([event]);
    expect(decodeTraceEvents(undefined)).toEqual([]);
    expect(decodeTraceEvents('{not json')).toEqual([]);
    expect(decodeTraceEvents('"a string"')).toEqual([]);
    expect(decodeTraceEvents('[{"type":"Pub"}]')).toEqual([]);
  });
});
