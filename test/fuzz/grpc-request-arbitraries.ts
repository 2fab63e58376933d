import fc, { Arbitrary } from 'fast-check';
import { FuzzPools } from './fuzz-pools';
import { protoArbitrary } from './proto-arbitrary';
import { int32Arbitrary, int64Arbitrary, nastyStringArbitrary } from './value-arbitraries';

/** Unary and server-streaming RPCs of MessagingService (Telemetry has its own arbitrary). */
export const FUZZED_RPCS = [
  'QueryRoute',
  'Heartbeat',
  'SendMessage',
  'QueryAssignment',
  'ReceiveMessage',
  'AckMessage',
  'ForwardMessageToDeadLetterQueue',
  'PullMessage',
  'UpdateOffset',
  'GetOffset',
  'QueryOffset',
  'EndTransaction',
  'NotifyClientTermination',
  'ChangeInvisibleDuration',
  'RecallMessage',
  'SyncLiteSubscription',
] as const;
export type FuzzedRpc = (typeof FUZZED_RPCS)[number];

/** The server-streaming ones; the rest are unary. */
export const STREAMING_RPCS: ReadonlySet<string> = new Set(['ReceiveMessage', 'PullMessage']);

/** One generated call: the RPC, its request as a proto-loader object, and the client id header. */
export interface GrpcCall {
  rpc: FuzzedRpc;
  request: Record<string, unknown>;
  /** `x-mq-client-id`; null sends none. */
  clientId: string | null;
}

/** A random call of any RPC: a mostly valid request, one with random fields laid over it, or a fully random one. */
export function grpcCallArbitrary(pools: FuzzPools): Arbitrary<GrpcCall> {
  const clientId = fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...pools.clientIds) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  return fc.constantFrom(...FUZZED_RPCS).chain((rpc) => {
    const template = requestTemplate(rpc, pools);
    const random = protoArbitrary(`${rpc}Request`, pools);
    const request = fc.oneof(
      { weight: 8, arbitrary: template },
      { weight: 1, arbitrary: fc.tuple(template, random).map(([base, overlay]) => ({ ...base, ...overlay })) },
      { weight: 1, arbitrary: random },
    );
    return fc.record({ rpc: fc.constant(rpc), request, clientId });
  });
}

/** A request as a well-behaved client would build it, with values drawn from the pools and edges. */
export function requestTemplate(rpc: FuzzedRpc, pools: FuzzPools): Arbitrary<Record<string, unknown>> {
  const topic = resource(pools.topics);
  const group = resource(pools.groups);
  const queue = fc.record({ topic, id: fc.oneof(fc.integer({ min: 0, max: 3 }), int32Arbitrary()), broker: fc.constant({ name: 'broker-a' }) });
  const filterExpression = fc.record({ type: fc.constantFrom('TAG', 'SQL', 'FILTER_TYPE_UNSPECIFIED'), expression: pools.stringFor('expression') });
  const receiptHandle = pools.stringFor('receiptHandle');
  const messageId = pools.stringFor('messageId');
  switch (rpc) {
    case 'QueryRoute':
      return fc.record({ topic, endpoints: endpoints() });
    case 'Heartbeat':
      return fc.record(
        { group, clientType: fc.constantFrom('PRODUCER', 'PUSH_CONSUMER', 'SIMPLE_CONSUMER', 'PULL_CONSUMER', 'CLIENT_TYPE_UNSPECIFIED') },
        { requiredKeys: [] },
      );
    case 'SendMessage':
      return fc.record({ messages: fc.array(message(pools), { minLength: 1, maxLength: 3 }) });
    case 'QueryAssignment':
      return fc.record({ topic, group, endpoints: endpoints() });
    case 'ReceiveMessage':
      return fc.record(
        {
          group,
          messageQueue: queue,
          filterExpression,
          batchSize: int32Arbitrary(),
          invisibleDuration: duration(),
          autoRenew: fc.boolean(),
          longPollingTimeout: pollingDuration(),
        },
        { requiredKeys: ['group', 'messageQueue', 'filterExpression', 'batchSize'] },
      );
    case 'AckMessage':
      return fc.record({ group, topic, entries: fc.array(fc.record({ messageId, receiptHandle }), { maxLength: 3 }) });
    case 'ForwardMessageToDeadLetterQueue':
      return fc.record({ group, topic, receiptHandle, messageId, deliveryAttempt: int32Arbitrary(), maxDeliveryAttempts: int32Arbitrary() });
    case 'PullMessage':
      return fc.record({
        group,
        messageQueue: queue,
        offset: int64Arbitrary(),
        batchSize: int32Arbitrary(),
        filterExpression,
        longPollingTimeout: pollingDuration(),
      });
    case 'UpdateOffset':
      return fc.record({ group, messageQueue: queue, offset: int64Arbitrary() });
    case 'GetOffset':
      return fc.record({ group, messageQueue: queue });
    case 'QueryOffset':
      return fc.record(
        { messageQueue: queue, queryOffsetPolicy: fc.constantFrom('BEGINNING', 'END', 'TIMESTAMP'), timestamp: timestamp() },
        { requiredKeys: ['messageQueue'] },
      );
    case 'EndTransaction':
      return fc.record({
        topic,
        messageId,
        transactionId: pools.stringFor('transactionId'),
        resolution: fc.constantFrom('COMMIT', 'ROLLBACK', 'TRANSACTION_RESOLUTION_UNSPECIFIED'),
        source: fc.constantFrom('SOURCE_CLIENT', 'SOURCE_SERVER_CHECK', 'SOURCE_UNSPECIFIED'),
      });
    case 'NotifyClientTermination':
      return fc.record({ group }, { requiredKeys: [] });
    case 'ChangeInvisibleDuration':
      return fc.record({ group, topic, receiptHandle, invisibleDuration: duration(), messageId });
    case 'RecallMessage':
      return fc.record({ topic, recallHandle: fc.string() });
    case 'SyncLiteSubscription':
      return protoArbitrary('SyncLiteSubscriptionRequest', pools);
  }
}

function resource(names: readonly string[]): Arbitrary<Record<string, unknown>> {
  const name =
    names.length > 0
      ? fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: nastyStringArbitrary() })
      : nastyStringArbitrary();
  return fc.oneof({ weight: 20, arbitrary: fc.record({ name }) }, { weight: 1, arbitrary: fc.constant({}) });
}

function endpoints(): Arbitrary<Record<string, unknown>> {
  return fc.record({
    scheme: fc.constantFrom('IPv4', 'DOMAIN_NAME'),
    addresses: fc.array(fc.record({ host: fc.constantFrom('127.0.0.1', 'x'), port: int32Arbitrary() }), { maxLength: 2 }),
  });
}

/** A duration: mostly seconds-scale, sometimes extreme or negative. */
function duration(): Arbitrary<Record<string, unknown>> {
  return fc.record(
    { seconds: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 60 }) }, { weight: 2, arbitrary: int64Arbitrary() }), nanos: int32Arbitrary() },
    { requiredKeys: [] },
  );
}

/** Long-polling durations stay short when valid, so the fuzzer does not spend its budget waiting. */
function pollingDuration(): Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ nanos: fc.integer({ min: 0, max: 200_000_000 }) }) },
    { weight: 1, arbitrary: fc.record({ seconds: int64Arbitrary(), nanos: int32Arbitrary() }, { requiredKeys: [] }) },
  );
}

function timestamp(): Arbitrary<Record<string, unknown>> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return fc.record(
    {
      seconds: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: nowSeconds - 3600, max: nowSeconds + 3600 }) }, { weight: 2, arbitrary: int64Arbitrary() }),
      nanos: int32Arbitrary(),
    },
    { requiredKeys: [] },
  );
}

function message(pools: FuzzPools): Arbitrary<Record<string, unknown>> {
  const systemProperties = fc.record(
    {
      messageId: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: pools.stringFor('other') }),
      queueId: fc.oneof(fc.integer({ min: 0, max: 3 }), int32Arbitrary()),
      messageType: fc.constantFrom('NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MESSAGE_TYPE_UNSPECIFIED'),
      tag: pools.stringFor('tag'),
      keys: fc.array(pools.stringFor('keys'), { maxLength: 2 }),
      messageGroup: pools.stringFor('messageGroup'),
      bornTimestamp: timestamp(),
      // Delivery times are an hour or more ahead when valid, so no delayed message lands during a
      // state comparison.
      deliveryTimestamp: fc.oneof(
        fc.record({ seconds: fc.integer({ min: 3600, max: 7200 }).map((ahead) => Math.floor(Date.now() / 1000) + ahead) }),
        fc.record({ seconds: int64Arbitrary(), nanos: int32Arbitrary() }, { requiredKeys: [] }),
      ),
      orphanedTransactionRecoveryDuration: duration(),
      bodyEncoding: fc.constantFrom('IDENTITY', 'GZIP', 'ENCODING_UNSPECIFIED'),
      bodyDigest: fc.record({ type: fc.constantFrom('CRC32', 'MD5', 'SHA1'), checksum: fc.string({ maxLength: 40 }) }),
    },
    { requiredKeys: ['messageId', 'messageType'] },
  );
  return fc.record(
    {
      topic: resource(pools.topics),
      body: pools.body(),
      systemProperties,
      userProperties: fc.dictionary(pools.propertyKey(), pools.propertyValue(), { maxKeys: 3 }),
    },
    { requiredKeys: ['topic', 'body', 'systemProperties'] },
  );
}
