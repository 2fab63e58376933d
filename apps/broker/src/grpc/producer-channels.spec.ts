import { pino } from 'pino';
import { createHash } from 'node:crypto';
import { MessageView } from 'rocketmq-client-nodejs';
import { TelemetryCommand as TelemetryCommandPb } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';
import { RecordType, StoredMessage } from '../store/message-record';
import { Settings, TelemetryCommand } from './messaging.types';
import { checkMessage, TelemetryProducerChannels } from './producer-channels';
import { loadMessagingService } from './proto-loader';
import { TelemetrySessions } from './telemetry-sessions';
import { RecordingStream } from './telemetry.test-support';

const logger = pino({ level: 'silent' });

function half(extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    type: RecordType.Prepared,
    offset: 4096,
    size: 300,
    topic: 'payments',
    queueId: 2,
    queueOffset: -1,
    messageId: 'MSG-1',
    bornTimestampMs: 1_700_000_000_123,
    storeTimestampMs: 1_700_000_000_456,
    tag: 'charged',
    keys: ['order-7'],
    messageGroup: undefined,
    deliveryTimestampMs: undefined,
    properties: { amount: '42', __BORNHOST: '10.0.0.5', TRAN_MSG: 'true', PGROUP: 'payments', __TRANSACTION_CHECK_IMMUNITY_MS: '5000' },
    body: Buffer.from('{"order":7}'),
    preparedOffset: -1,
    preparedSize: 0,
    ...extra,
  };
}

const producerOf = (...topics: string[]): Settings => ({ clientType: 'PRODUCER', publishing: { topics: topics.map((name) => ({ name })) } });

describe('TelemetryProducerChannels', () => {
  let sessions: TelemetrySessions;
  let channels: TelemetryProducerChannels;

  beforeEach(() => {
    sessions = new TelemetrySessions(logger);
    channels = new TelemetryProducerChannels(sessions, () => ({ host: '127.0.0.1', port: 8081 }), logger);
  });

  function connect(clientId: string, settings: Settings): RecordingStream {
    const stream = new RecordingStream();
    sessions.updateSettings(clientId, settings, stream);
    return stream;
  }

  it('sends a RecoverOrphanedTransactionCommand with the half message and transaction id to a producer of the topic', () => {
    const stream = connect('producer-1', producerOf('payments'));
    connect('other-topic-producer', producerOf('orders'));
    connect('consumer', { clientType: 'SIMPLE_CONSUMER', subscription: { group: { name: 'g' }, subscriptions: [{ topic: { name: 'payments' } }] } });

    expect(channels.sendCheck(half(), 'TX-1')).toBe('producer-1');
    expect(stream.written).toHaveLength(1);
    const command = stream.written[0].recoverOrphanedTransactionCommand!;
    expect(command.transactionId).toBe('TX-1');
    expect(command.message.topic).toEqual({ name: 'payments', resourceNamespace: '' });
    expect(command.message.systemProperties).toMatchObject({ messageId: 'MSG-1', messageType: 'TRANSACTION', queueId: 2, storeHost: '127.0.0.1:8081' });
  });

  it('takes the producers of a topic in turns, and skips ones whose stream ended or that terminated', () => {
    const a = connect('producer-a', producerOf('payments'));
    const b = connect('producer-b', producerOf('payments'));
    const c = connect('producer-c', producerOf('payments'));
    const sentTo = [1, 2, 3, 4, 5, 6].map((n) => channels.sendCheck(half(), `TX-${n}`));
    expect(sentTo).toEqual(['producer-a', 'producer-b', 'producer-c', 'producer-a', 'producer-b', 'producer-c']);

    sessions.detach('producer-b', b);
    sessions.terminate('producer-c');
    expect([channels.sendCheck(half(), 'TX-7'), channels.sendCheck(half(), 'TX-8')]).toEqual(['producer-a', 'producer-a']);
    expect(b.written).toHaveLength(2);
    expect(c.written).toHaveLength(2);

    // A stream that refuses the write (closed under the registry's feet) passes the turn on.
    a.open = false;
    const d = connect('producer-d', producerOf('payments'));
    expect(channels.sendCheck(half(), 'TX-9')).toBe('producer-d');
    expect(d.written).toHaveLength(1);
  });

  it('counts a producer that only sent to the topic, without declaring it', () => {
    const stream = connect('sender', producerOf());
    expect(channels.sendCheck(half(), 'TX-1')).toBeUndefined();
    sessions.notePublished('sender', 'payments');
    expect(channels.sendCheck(half(), 'TX-1')).toBe('sender');
    expect(stream.written).toHaveLength(1);
  });

  it('sends nothing and returns undefined when no live producer of the topic is connected', () => {
    expect(channels.sendCheck(half(), 'TX-1')).toBeUndefined();
    const gone = connect('gone', producerOf('payments'));
    sessions.detach('gone', gone);
    expect(channels.sendCheck(half(), 'TX-1')).toBeUndefined();
    expect(gone.written).toEqual([]);
  });
});

describe('checkMessage', () => {
  it('is a message the official Node client decodes for its checker: intact body, id, tag, keys and user properties', () => {
    const command: TelemetryCommand = { recoverOrphanedTransactionCommand: { message: checkMessage(half(), '127.0.0.1:8081'), transactionId: 'TX-1' } };
    const bytes = (loadMessagingService().Telemetry.responseSerialize as (value: TelemetryCommand) => Buffer)(command);
    const decoded = TelemetryCommandPb.deserializeBinary(new Uint8Array(bytes));
    expect(decoded.getCommandCase()).toBe(TelemetryCommandPb.CommandCase.RECOVER_ORPHANED_TRANSACTION_COMMAND);
    const recover = decoded.getRecoverOrphanedTransactionCommand()!;
    expect(recover.getTransactionId()).toBe('TX-1');

    const view = new MessageView(recover.getMessage()!);
    expect(view.corrupted).toBeUndefined();
    expect(view).toMatchObject({ messageId: 'MSG-1', topic: 'payments', tag: 'charged', keys: ['order-7'], bornHost: '10.0.0.5' });
    expect(view.body.toString()).toBe('{"order":7}');
    expect(Object.fromEntries(view.properties)).toEqual({ amount: '42' });
    expect(view.receiptHandle).toBe('');
  });

  it('carries the MD5 body digest, no queue offset and no receipt handle', () => {
    const system = checkMessage(half(), 'h:1').systemProperties!;
    expect(system.bodyDigest).toEqual({ type: 'MD5', checksum: createHash('md5').update('{"order":7}').digest('hex').toUpperCase() });
    expect(system.queueOffset).toBeUndefined();
    expect(system.receiptHandle).toBeUndefined();
    expect(system.deliveryAttempt).toBe(1);
  });
});
