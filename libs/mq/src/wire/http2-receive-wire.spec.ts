import { gzipSync } from 'node:zlib';
import { Endpoints, MessageQueue, MessageView } from 'rocketmq-client-nodejs';
import { crc32CheckSum, md5CheckSum, sha1CheckSum } from 'rocketmq-client-nodejs/dist/util';
import {
  Broker,
  Digest,
  DigestType,
  Encoding,
  Message,
  MessageQueue as MessageQueuePB,
  Permission,
  Resource,
  SystemProperties,
} from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { ReceiveMessageResponse } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';
import { toMessageView } from './http2-receive-wire';
import { WireReceiveMessageResponse, wireCodecs } from './messaging-codecs';

const ENDPOINTS = '127.0.0.1:8081';

/** google-protobuf's Timestamp, which the official protos take (google-protobuf ships no typings). */
interface Timestamp {
  setSeconds(seconds: number): Timestamp;
  setNanos(nanos: number): Timestamp;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the untyped module the official protos import
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb') as { Timestamp: new () => Timestamp };

function timestamp(ms: number): Timestamp {
  return new Timestamp().setSeconds(Math.floor(ms / 1000)).setNanos((ms % 1000) * 1_000_000);
}

/** A message as the broker sends it, built with the official client's google-protobuf classes. */
function message(options: { body: Buffer; digest?: [DigestType, string]; gzip?: boolean; full?: boolean }): Message {
  const system = new SystemProperties()
    .setMessageId('01A2B3C4D5E6F7')
    .setBornHost('10.0.0.7')
    .setBornTimestamp(timestamp(1_764_000_000_123))
    .setQueueOffset(41)
    .setBodyEncoding(options.gzip ? Encoding.GZIP : Encoding.IDENTITY)
    .setReceiptHandle('receipt-1');
  // The broker always sends a digest (the client's MessageView cannot read a message without one).
  const [type, checksum] = options.digest ?? [DigestType.CRC32, crc32CheckSum(options.body)];
  system.setBodyDigest(new Digest().setType(type).setChecksum(checksum));
  if (options.full) {
    system
      .setTag('paid')
      .setKeysList(['order-1', 'customer-7'])
      .setMessageGroup('group-3')
      .setDeliveryTimestamp(timestamp(1_764_000_060_456))
      .setDeliveryAttempt(3)
      .setLiteTopic('lite')
      .setPriority(2);
  }
  const built = new Message().setTopic(new Resource().setName('orders')).setSystemProperties(system).setBody(options.body);
  if (options.full) built.getUserPropertiesMap().set('source', 'spec').set('x-trace', 'abc');
  return built;
}

/** Every field of a view, as a plain object (Maps and Dates made comparable). */
function fields(view: MessageView): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(view)),
    body: view.body.toString('hex'),
    properties: Object.fromEntries(view.properties),
    endpoints: view.endpoints?.facade,
  };
}

/** The same bytes decoded both ways: protobufjs + toMessageView, and google-protobuf + the client's MessageView constructor. */
function bothWays(built: Message): { ours: MessageView; official: MessageView } {
  const bytes = new ReceiveMessageResponse().setMessage(built).serializeBinary();
  const decoded = wireCodecs().receiveMessageResponse.decode(bytes) as unknown as WireReceiveMessageResponse;
  const transport = new Date(1_764_000_000_999);
  const queue = new MessageQueue(
    new MessageQueuePB()
      .setTopic(new Resource().setName('orders'))
      .setId(0)
      .setPermission(Permission.READ_WRITE)
      .setBroker(new Broker().setName('broker-a').setId(0).setEndpoints(new Endpoints(ENDPOINTS).toProtobuf())),
  );
  return {
    ours: toMessageView(decoded.message!, queue.broker.endpoints, transport),
    official: new MessageView(ReceiveMessageResponse.deserializeBinary(bytes).getMessage()!, queue, transport),
  };
}

describe('toMessageView: a received message as the official MessageView has it', () => {
  const body = Buffer.from('{"orderId":"o-1"}');

  it('fills every field as the client does, from a message with every optional field set, and from one with none of them', () => {
    for (const full of [true, false]) {
      const { ours, official } = bothWays(message({ body, full }));
      expect(ours).toBeInstanceOf(MessageView);
      expect(fields(ours)).toEqual(fields(official));
    }
    const { ours } = bothWays(message({ body, full: true }));
    expect(ours).toMatchObject({ tag: 'paid', keys: ['order-1', 'customer-7'], messageGroup: 'group-3', deliveryAttempt: 3, offset: 41 });
    expect(ours.deliveryTimestamp).toEqual(new Date(1_764_000_060_456));
  });

  it.each([
    ['CRC32', DigestType.CRC32, crc32CheckSum],
    ['MD5', DigestType.MD5, md5CheckSum],
    ['SHA1', DigestType.SHA1, sha1CheckSum],
  ])('checks a %s body digest: a matching one passes, a wrong one marks the view corrupted', (_name, type, checksum) => {
    const good = bothWays(message({ body, digest: [type, checksum(body)] }));
    expect(good.ours.corrupted).toBeUndefined();
    expect(fields(good.ours)).toEqual(fields(good.official));
    const bad = bothWays(message({ body, digest: [type, 'not-the-checksum'] }));
    expect(bad.ours.corrupted).toBe(true);
    expect(fields(bad.ours)).toEqual(fields(bad.official));
  });

  it('inflates a gzip body after checking the digest of the compressed bytes', () => {
    const compressed = gzipSync(body);
    const { ours, official } = bothWays(message({ body: compressed, gzip: true, digest: [DigestType.CRC32, crc32CheckSum(compressed)] }));
    expect(ours.body.toString()).toBe(body.toString());
    expect(ours.corrupted).toBeUndefined();
    expect(fields(ours)).toEqual(fields(official));
  });
});
