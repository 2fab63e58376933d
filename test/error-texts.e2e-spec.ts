import { randomUUID } from 'node:crypto';
import {
  AckMessageResponse,
  ChangeInvisibleDurationResponse,
  EndTransactionResponse,
  GetOffsetResponse,
  QueryAssignmentResponse,
  QueryRouteResponse,
  ReceiveMessageRequest,
  ReceiveMessageResponse,
  Status,
} from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/**
 * The code and exact text a client receives for the refusals of grpc/status-codes.ts that no other
 * e2e spec pins down (docs/field-parity.md, "Errors", names the test of every row). Raw gRPC, so
 * the status is what is on the wire.
 */
describe('error texts on the wire (grpc/status-codes.ts)', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;
  const TOPIC = 'texts';
  const GROUP = 'texts-group';

  beforeAll(async () => {
    broker = await startTestBroker({ autoCreateSubscriptionGroup: false }, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 3_000 } });
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsertGroup({ group: GROUP });
    client = new RawMessagingClient(broker.grpcEndpoint);
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  function receiveRequest(overrides: Partial<ReceiveMessageRequest> = {}): ReceiveMessageRequest {
    return {
      group: { name: GROUP },
      messageQueue: { topic: { name: TOPIC }, id: 0, broker: { name: 'broker-a' } },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: 1,
      invisibleDuration: { seconds: 30 },
      autoRenew: false,
      longPollingTimeout: { nanos: 200_000_000 },
      ...overrides,
    };
  }

  async function receiveStatus(overrides: Partial<ReceiveMessageRequest>, deadlineMs?: number): Promise<Status> {
    const [first] = await client.stream<ReceiveMessageResponse>('ReceiveMessage', receiveRequest(overrides), { deadlineMs });
    return (first as { status: Status }).status;
  }

  const queryRoute = async (topic: object | undefined): Promise<Status> => (await client.unary<QueryRouteResponse>('QueryRoute', { topic })).status;
  const queryAssignment = async (group: object | undefined): Promise<Status> =>
    (await client.unary<QueryAssignmentResponse>('QueryAssignment', { topic: { name: TOPIC }, group })).status;

  it.each([
    ['no topic', undefined, 'The specified topic is blank'],
    ['a blank topic', { name: '  ' }, 'The specified topic is blank'],
    ['a topic with illegal characters', { name: 'a b' }, 'The specified topic[a b] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$'],
    ['a topic over 127 characters', { name: 't'.repeat(128) }, 'The specified topic is longer than topic max length 127.'],
  ])('ILLEGAL_TOPIC for %s (client Validators.checkTopic)', async (_what, topic, message) => {
    expect(await queryRoute(topic)).toEqual({ code: 'ILLEGAL_TOPIC', message });
  });

  it.each([
    ['no group', undefined, 'the specified group is blank'],
    ['a blank group', { name: ' ' }, 'the specified group is blank'],
    ['a group with illegal characters', { name: 'g/1' }, 'the specified group[g/1] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$'],
    ['a group over 120 characters', { name: 'g'.repeat(121) }, `the specified group[${'g'.repeat(121)}] is longer than group max length: 120.`],
  ])('ILLEGAL_CONSUMER_GROUP for %s (client Validators.checkGroup)', async (_what, group, message) => {
    expect(await queryAssignment(group)).toEqual({ code: 'ILLEGAL_CONSUMER_GROUP', message });
  });

  it('CONSUMER_GROUP_NOT_FOUND for an unknown group when groups are not created on demand', async () => {
    const expected = { code: 'CONSUMER_GROUP_NOT_FOUND', message: 'subscription group [nobody] does not exist' };
    expect(await queryAssignment({ name: 'nobody' })).toEqual(expected);
    expect(await receiveStatus({ group: { name: 'nobody' } })).toEqual(expected);
  });

  it('ILLEGAL_INVISIBLE_TIME below 0 and above the max (GrpcValidator.validateInvisibleTime)', async () => {
    const changed = await client.unary<ChangeInvisibleDurationResponse>('ChangeInvisibleDuration', {
      group: { name: GROUP },
      topic: { name: TOPIC },
      receiptHandle: 'whatever',
      invisibleDuration: { seconds: -1 },
      messageId: 'm',
    });
    expect(changed.status).toEqual({ code: 'ILLEGAL_INVISIBLE_TIME', message: 'the invisibleTime is too small. min is 0' });
    expect(await receiveStatus({ invisibleDuration: { seconds: 12 * 3_600 + 1 } })).toEqual({
      code: 'ILLEGAL_INVISIBLE_TIME',
      message: 'the invisibleTime is too large. max is 43200000',
    });
  });

  it('INVALID_RECEIPT_HANDLE for an empty or malformed handle; BAD_REQUEST for an ack without entries', async () => {
    const ack = (entries: object[]) => client.unary<AckMessageResponse>('AckMessage', { group: { name: GROUP }, topic: { name: TOPIC }, entries });
    // The response's status is the entries' common code with its name as text (setAckResponseStatus); each entry has the reason.
    const empty = await ack([{ messageId: 'm', receiptHandle: '' }]);
    expect(empty.status).toEqual({ code: 'INVALID_RECEIPT_HANDLE', message: 'INVALID_RECEIPT_HANDLE' });
    expect(empty.entries![0].status).toEqual({ code: 'INVALID_RECEIPT_HANDLE', message: 'receipt handle cannot be empty' });
    const malformed = await ack([{ messageId: 'm', receiptHandle: 'not-a-handle' }]);
    expect(malformed.entries![0].status).toEqual({ code: 'INVALID_RECEIPT_HANDLE', message: 'receipt handle is malformed' });
    expect((await ack([])).status).toEqual({ code: 'BAD_REQUEST', message: 'no entry to acknowledge' });
  });

  it('ILLEGAL_POLLING_TIME when the deadline leaves no time to poll (ReceiveMessageActivity)', async () => {
    expect(await receiveStatus({ longPollingTimeout: { seconds: 2 } }, 400)).toEqual({
      code: 'ILLEGAL_POLLING_TIME',
      message: 'The deadline time remaining is not enough for polling, please check network condition',
    });
  });

  it('OFFSET_NOT_FOUND for a group without a committed offset', async () => {
    const got = await client.unary<GetOffsetResponse>('GetOffset', {
      group: { name: GROUP },
      messageQueue: { topic: { name: TOPIC }, id: 0, broker: { name: 'broker-a' } },
    });
    expect(got.status).toEqual({ code: 'OFFSET_NOT_FOUND', message: `consumer group ${GROUP} has no committed offset on ${TOPIC} queue 0` });
  });

  it('INVALID_TRANSACTION_ID for a transaction id this broker never gave out', async () => {
    const ended = await client.unary<EndTransactionResponse>('EndTransaction', {
      topic: { name: TOPIC },
      messageId: randomUUID(),
      transactionId: 'nope',
      resolution: 'COMMIT',
      source: 'CLIENT',
    });
    expect(ended.status).toEqual({ code: 'INVALID_TRANSACTION_ID', message: 'no half message for transaction "nope"' });
  });
});
