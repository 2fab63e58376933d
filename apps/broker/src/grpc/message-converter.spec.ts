import { createHash } from 'node:crypto';
import { RecordType, StoredMessage } from '../store/message-record';
import { InboundContext, InboundMessage, toMessageInput, toProtoMessage, transactionCheckImmunityMs } from './message-converter';
import { Message } from './messaging.types';
import { MESSAGING_DEFAULTS } from './messaging.defaults';

const NOW_MS = 1_700_000_000_000;
const context: InboundContext = { topic: 'orders', maxBodyBytes: 1024, options: MESSAGING_DEFAULTS, nowMs: NOW_MS, peerAddress: '10.0.0.9:53412' };

function inbound(message: Message): InboundMessage {
  const result = toMessageInput(message, context);
  if ('status' in result) throw new Error(`refused: ${result.status.code} ${result.status.message}`);
  return result;
}

/** What the store gives back for an input (the fields the converter reads). */
function stored(input: InboundMessage['input'], extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    type: RecordType.Normal,
    offset: 100,
    size: 200,
    topic: input.topic,
    queueId: input.queueId,
    queueOffset: 7,
    messageId: input.messageId,
    bornTimestampMs: input.bornTimestampMs,
    storeTimestampMs: NOW_MS + 5,
    tag: input.tag,
    keys: [...(input.keys ?? [])],
    messageGroup: input.messageGroup,
    deliveryTimestampMs: input.deliveryTimestampMs,
    properties: { ...input.properties },
    body: input.body,
    preparedOffset: -1,
    preparedSize: 0,
    ...extra,
  };
}

describe('message converter', () => {
  it('round-trips the system and user properties a producer sets', () => {
    const sent: Message = {
      topic: { name: 'orders' },
      userProperties: { color: 'red' },
      body: Buffer.from('payload'),
      systemProperties: {
        messageId: 'ID-1',
        tag: 'TagA',
        keys: ['k1', 'k2'],
        queueId: 3,
        bornTimestamp: { seconds: 1_600_000_000, nanos: 250_000_000 },
        bornHost: 'producer-1',
        traceContext: '00-abc-01',
        messageGroup: 'g1',
        bodyEncoding: 'GZIP',
      },
    };
    const result = inbound(sent);
    expect(result.messageType).toBe('FIFO');
    expect(result.delayed).toBe(false);
    expect(result.input).toMatchObject({
      topic: 'orders',
      queueId: 3,
      messageId: 'ID-1',
      bornTimestampMs: 1_600_000_000_250,
      tag: 'TagA',
      keys: ['k1', 'k2'],
      messageGroup: 'g1',
    });

    const received = toProtoMessage(stored(result.input), {
      receiptHandle: 'RH',
      deliveryAttempt: 2,
      invisibleDurationMs: 30_000,
      storeHost: '127.0.0.1:8081',
    });
    expect(received.userProperties).toEqual({ color: 'red' });
    expect(received.systemProperties).toMatchObject({
      messageId: 'ID-1',
      tag: 'TagA',
      keys: ['k1', 'k2'],
      queueId: 3,
      queueOffset: 7,
      bornTimestamp: { seconds: 1_600_000_000, nanos: 250_000_000 },
      bornHost: 'producer-1',
      storeTimestamp: { seconds: 1_700_000_000, nanos: 5_000_000 },
      storeHost: '127.0.0.1:8081',
      traceContext: '00-abc-01',
      messageGroup: 'g1',
      messageType: 'FIFO',
      bodyEncoding: 'GZIP',
      receiptHandle: 'RH',
      deliveryAttempt: 2,
      invisibleDuration: { seconds: 30, nanos: 0 },
    });
  });

  it('sends an upper-case MD5 body digest, which every official client verifies', () => {
    const result = inbound({ topic: { name: 'orders' }, body: Buffer.from('digest me'), systemProperties: { messageId: 'ID-2' } });
    const received = toProtoMessage(stored(result.input), { deliveryAttempt: 1, storeHost: 'h:1' });
    expect(received.systemProperties!.bodyDigest).toEqual({ type: 'MD5', checksum: createHash('md5').update('digest me').digest('hex').toUpperCase() });
  });

  it('takes the born host from the connection when the message names none, and the born time from now', () => {
    const result = inbound({ topic: { name: 'orders' }, body: Buffer.from('x'), systemProperties: { messageId: 'ID-3' } });
    expect(result.input.properties).toEqual({ __BORNHOST: '10.0.0.9:53412' });
    expect(result.input.bornTimestampMs).toBe(NOW_MS);
    expect(result.messageType).toBe('NORMAL');
  });

  it('turns a RocketMQ 4 delay level into a delivery time and drops the property', () => {
    const result = inbound({
      topic: { name: 'orders' },
      body: Buffer.from('x'),
      userProperties: { DELAY: '3', a: 'b' },
      systemProperties: { messageId: 'ID-4' },
    });
    expect(result.input.deliveryTimestampMs).toBe(NOW_MS + 10_000);
    expect(result.input.properties).toEqual({ a: 'b', __BORNHOST: '10.0.0.9:53412' });
    expect(result.messageType).toBe('DELAY');
    expect(result.delayed).toBe(true);
    const received = toProtoMessage(stored(result.input), { deliveryAttempt: 1, storeHost: 'h:1' });
    expect(received.systemProperties!.deliveryTimestamp).toEqual({ seconds: (NOW_MS + 10_000) / 1000, nanos: 0 });
    expect(received.systemProperties!.messageType).toBe('DELAY');
  });

  it('reports a committed half message as NORMAL, as Apache clears TRAN_MSG on commit, and a dead-lettered one with its origin', () => {
    const result = inbound({ topic: { name: 'orders' }, body: Buffer.from('x'), systemProperties: { messageId: 'ID-5' } });
    const half = toProtoMessage(stored(result.input, { type: RecordType.Prepared }), { deliveryAttempt: 1, storeHost: 'h:1' });
    expect(half.systemProperties!.messageType).toBe('NORMAL');
    const dead = toProtoMessage(
      stored(result.input, { topic: '%DLQ%g', properties: { DLQ_ORIGIN_TOPIC: 'orders', DLQ_ORIGIN_MESSAGE_ID: 'ID-5', RECONSUME_TIME: '16', mine: 'kept' } }),
      { deliveryAttempt: 1, storeHost: 'h:1' },
    );
    expect(dead.systemProperties!.deadLetterQueue).toEqual({ topic: 'orders', messageId: 'ID-5' });
    expect(dead.userProperties).toEqual({ mine: 'kept' });
  });

  it.each([
    [{ userProperties: { TAGS: 'x' } }, 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
    [{ userProperties: { __SHARDINGKEY: 'x' } }, 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
    [{ userProperties: { '\u0001': 'x' } }, 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
    [{ userProperties: Object.fromEntries([...Array(129).keys()].map((i) => [`p${i}`, 'v'])) }, 'MESSAGE_PROPERTIES_TOO_LARGE'],
    [{ userProperties: { big: 'v'.repeat(16 * 1024) } }, 'MESSAGE_PROPERTIES_TOO_LARGE'],
    [{ body: Buffer.alloc(1025) }, 'MESSAGE_BODY_TOO_LARGE'],
    [{ body: undefined }, 'MESSAGE_BODY_EMPTY'],
    [{ systemProperties: { messageId: ' ' } }, 'ILLEGAL_MESSAGE_ID'],
    [{ systemProperties: { messageId: 'x', tag: ' ' } }, 'ILLEGAL_MESSAGE_TAG'],
    [{ systemProperties: { messageId: 'x', keys: ['a\nb'] } }, 'ILLEGAL_MESSAGE_KEY'],
    [{ systemProperties: { messageId: 'x', messageGroup: ' ' } }, 'ILLEGAL_MESSAGE_GROUP'],
    [{ systemProperties: { messageId: 'x', deliveryTimestamp: { seconds: Number.NaN } } }, 'ILLEGAL_DELIVERY_TIME'],
    [{ systemProperties: { messageId: 'x', deliveryTimestamp: { seconds: NOW_MS / 1000 + 2 * 86_400 } } }, 'ILLEGAL_DELIVERY_TIME'],
  ])('refuses %o with %s', (overrides, code) => {
    const message: Message = { topic: { name: 'orders' }, body: Buffer.from('x'), systemProperties: { messageId: 'ID' }, ...overrides };
    const result = toMessageInput(message, context);
    expect('status' in result && result.status.code).toBe(code);
  });

  describe('check immunity of a transactional message', () => {
    const MAX_MS = 3_600_000;
    const transactional = (system: Message['systemProperties'], userProperties?: Record<string, string>): Message => ({
      topic: { name: 'orders' },
      body: Buffer.from('x'),
      systemProperties: { messageId: 'ID', messageType: 'TRANSACTION', ...system },
      userProperties,
    });

    it.each([
      ['no setting: the broker transaction timeout applies', transactional({}), undefined],
      ['orphaned_transaction_recovery_duration', transactional({ orphanedTransactionRecoveryDuration: { seconds: 30, nanos: 500_000_000 } }), 30_500],
      ['the CHECK_IMMUNITY_TIME_IN_SECONDS user property, in seconds', transactional({}, { CHECK_IMMUNITY_TIME_IN_SECONDS: '45' }), 45_000],
      [
        'the duration before the property',
        transactional({ orphanedTransactionRecoveryDuration: { seconds: 10 } }, { CHECK_IMMUNITY_TIME_IN_SECONDS: '45' }),
        10_000,
      ],
      ['a property that is not a number of seconds (ignored)', transactional({}, { CHECK_IMMUNITY_TIME_IN_SECONDS: '-3' }), undefined],
      ['exactly the max, in whole seconds', transactional({ orphanedTransactionRecoveryDuration: { seconds: 3600, nanos: 900_000_000 } }), 3_600_900],
    ])('reads %s', (_what, message, expected) => {
      expect(transactionCheckImmunityMs(message, MAX_MS)).toEqual({ checkImmunityMs: expected });
    });

    it('refuses a recovery duration over the max, as the proxy does', () => {
      expect(transactionCheckImmunityMs(transactional({ orphanedTransactionRecoveryDuration: { seconds: 3601 } }), MAX_MS)).toEqual({
        status: { code: 'BAD_REQUEST', message: 'the max transaction recovery time of message is too large, max is 3600' },
      });
      const negative = transactionCheckImmunityMs(transactional({ orphanedTransactionRecoveryDuration: { seconds: -1 } }), MAX_MS);
      expect('status' in negative && negative.status.code).toBe('BAD_REQUEST');
    });
  });
});
