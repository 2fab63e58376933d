import { status as GrpcStatus } from '@grpc/grpc-js';
import { createHash, randomUUID } from 'node:crypto';
import {
  AckMessageResponse,
  ChangeInvisibleDurationResponse,
  ForwardMessageToDeadLetterQueueResponse,
  Message,
  ReceiveMessageRequest,
  ReceiveMessageResponse,
  SendMessageResponse,
} from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/**
 * ReceiveMessage, AckMessage, ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue over raw
 * gRPC: the frames of a receive, long polling, receipt handles, and the refusals.
 */
describe('gRPC receive and acknowledge', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;
  let topicCounter = 0;

  beforeAll(async () => {
    broker = await startTestBroker(
      {},
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 3_000 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
      },
    );
    client = new RawMessagingClient(broker.grpcEndpoint);
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  /** A fresh topic (2 queues) per test, so tests do not see each other's messages. */
  async function newTopic(): Promise<string> {
    const name = `consume-${++topicCounter}`;
    await broker.broker.topics.upsert({ name, readQueueNums: 2, writeQueueNums: 2 });
    return name;
  }

  async function send(topic: string, body: string, extra: { tag?: string; queueId?: number; userProperties?: Record<string, string> } = {}): Promise<string> {
    const messageId = randomUUID();
    const message: Message = {
      topic: { name: topic },
      body: Buffer.from(body),
      userProperties: extra.userProperties ?? {},
      systemProperties: {
        messageId,
        queueId: extra.queueId ?? 0,
        tag: extra.tag,
        bornTimestamp: { seconds: 1_700_000_000 },
        bornHost: 'producer-host',
        messageType: 'NORMAL',
      },
    };
    const response = await client.unary<SendMessageResponse>('SendMessage', { messages: [message] });
    expect(response.status.code).toBe('OK');
    return messageId;
  }

  function receiveRequest(topic: string, group: string, overrides: Partial<ReceiveMessageRequest> = {}): ReceiveMessageRequest {
    return {
      group: { name: group },
      messageQueue: { topic: { name: topic }, id: 0, broker: { name: 'broker-a' } },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: 16,
      invisibleDuration: { seconds: 30 },
      autoRenew: false,
      longPollingTimeout: { nanos: 200_000_000 },
      ...overrides,
    };
  }

  const receive = (request: ReceiveMessageRequest, deadlineMs?: number) => client.stream<ReceiveMessageResponse>('ReceiveMessage', request, { deadlineMs });
  const messagesOf = (frames: ReceiveMessageResponse[]): Message[] => frames.flatMap((frame) => ('message' in frame ? [frame.message] : []));

  it('streams the status, then the messages, then the delivery timestamp', async () => {
    const topic = await newTopic();
    const id = await send(topic, 'hello', { tag: 'TagA', queueId: 1, userProperties: { color: 'red' } });
    const frames = await receive(receiveRequest(topic, 'g-frames'));
    expect(frames).toHaveLength(3);
    expect(frames[0]).toEqual({ status: { code: 'OK', message: 'OK' }, content: 'status' });
    expect(frames[2]).toMatchObject({ content: 'deliveryTimestamp' });
    const message = messagesOf(frames)[0];
    expect(message.topic).toEqual({ name: topic, resourceNamespace: '' });
    expect(message.userProperties).toEqual({ color: 'red' });
    expect(message.body!.toString()).toBe('hello');
    expect(message.systemProperties).toMatchObject({
      messageId: id,
      tag: 'TagA',
      queueId: 1,
      queueOffset: 0,
      deliveryAttempt: 1,
      messageType: 'NORMAL',
      bodyEncoding: 'IDENTITY',
      bornHost: 'producer-host',
      bornTimestamp: { seconds: 1_700_000_000, nanos: 0 },
      storeHost: `127.0.0.1:${broker.grpcPort}`,
      invisibleDuration: { seconds: 30, nanos: 0 },
      bodyDigest: { type: 'MD5', checksum: createHash('md5').update('hello').digest('hex').toUpperCase() },
    });
    expect(message.systemProperties!.receiptHandle).toEqual(expect.any(String));
  });

  it('answers MESSAGE_NOT_FOUND "no new message" when the long poll ends empty', async () => {
    const topic = await newTopic();
    const started = Date.now();
    const frames = await receive(receiveRequest(topic, 'g-empty', { longPollingTimeout: { nanos: 300_000_000 } }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(frames.map((frame) => Object.keys(frame).filter((key) => key !== 'content'))).toEqual([['status'], ['deliveryTimestamp']]);
    expect(frames[0]).toMatchObject({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no new message' } });
  });

  it('long-polls: a message sent while the receive waits is delivered at once', async () => {
    const topic = await newTopic();
    const started = Date.now();
    const pending = receive(receiveRequest(topic, 'g-long-poll', { longPollingTimeout: { seconds: 3 } }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = await send(topic, 'late', { queueId: 1 });
    const frames = await pending;
    expect(messagesOf(frames).map((m) => m.systemProperties!.messageId)).toEqual([id]);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('pops from every queue whatever queue the request names', async () => {
    const topic = await newTopic();
    const ids = [await send(topic, 'q0', { queueId: 0 }), await send(topic, 'q1', { queueId: 1 })];
    const frames = await receive(receiveRequest(topic, 'g-any-queue', { messageQueue: { topic: { name: topic }, id: 0 } }));
    expect(
      messagesOf(frames)
        .map((m) => m.systemProperties!.messageId)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('cuts a batch larger than 32 to 32, as the proxy does', async () => {
    const topic = await newTopic();
    for (let i = 0; i < 33; i++) await send(topic, `m${i}`);
    const frames = await receive(receiveRequest(topic, 'g-big-batch', { batchSize: 1000 }));
    expect(frames[0]).toMatchObject({ status: { code: 'OK' } });
    expect(messagesOf(frames)).toHaveLength(32);
  });

  it('acknowledges per entry: OK and INVALID_RECEIPT_HANDLE together are MULTIPLE_RESULTS', async () => {
    const topic = await newTopic();
    await send(topic, 'to ack');
    const [message] = messagesOf(await receive(receiveRequest(topic, 'g-ack')));
    const handle = message.systemProperties!.receiptHandle!;
    const response = await client.unary<AckMessageResponse>('AckMessage', {
      group: { name: 'g-ack' },
      topic: { name: topic },
      entries: [
        { messageId: message.systemProperties!.messageId, receiptHandle: handle },
        { messageId: 'x', receiptHandle: 'not-a-handle' },
      ],
    });
    expect(response.status).toEqual({ code: 'MULTIPLE_RESULTS', message: 'MULTIPLE_RESULTS' });
    expect(response.entries!.map((entry) => entry.status.code)).toEqual(['OK', 'INVALID_RECEIPT_HANDLE']);
    expect(response.entries![0]).toMatchObject({ messageId: message.systemProperties!.messageId, receiptHandle: handle });
    const again = await client.unary<AckMessageResponse>('AckMessage', {
      group: { name: 'g-ack' },
      topic: { name: topic },
      entries: [{ receiptHandle: handle }],
    });
    expect(again.status.code).toBe('INVALID_RECEIPT_HANDLE');
    const empty = await client.unary<AckMessageResponse>('AckMessage', { group: { name: 'g-ack' }, topic: { name: topic }, entries: [] });
    expect(empty.status.code).toBe('BAD_REQUEST');
  });

  it('redelivers after ChangeInvisibleDuration(0) with the next attempt and a new handle', async () => {
    const topic = await newTopic();
    const id = await send(topic, 'nack me');
    const [first] = messagesOf(await receive(receiveRequest(topic, 'g-nack')));
    const changed = await client.unary<ChangeInvisibleDurationResponse>('ChangeInvisibleDuration', {
      group: { name: 'g-nack' },
      topic: { name: topic },
      receiptHandle: first.systemProperties!.receiptHandle,
      invisibleDuration: { seconds: 0 },
      messageId: id,
    });
    expect(changed.status.code).toBe('OK');
    expect(changed.receiptHandle).toEqual(expect.any(String));
    expect(changed.receiptHandle).not.toBe(first.systemProperties!.receiptHandle);
    const [second] = messagesOf(await receive(receiveRequest(topic, 'g-nack')));
    expect(second.systemProperties).toMatchObject({ messageId: id, deliveryAttempt: 2 });
    const bad = await client.unary<ChangeInvisibleDurationResponse>('ChangeInvisibleDuration', {
      group: { name: 'g-nack' },
      topic: { name: topic },
      receiptHandle: first.systemProperties!.receiptHandle,
      invisibleDuration: { seconds: 1 },
    });
    expect(bad.status.code).toBe('INVALID_RECEIPT_HANDLE');
  });

  it('forwards to %DLQ%<group>, where it carries its origin', async () => {
    const topic = await newTopic();
    const id = await send(topic, 'give up');
    const [message] = messagesOf(await receive(receiveRequest(topic, 'g-dlq')));
    const forwarded = await client.unary<ForwardMessageToDeadLetterQueueResponse>('ForwardMessageToDeadLetterQueue', {
      group: { name: 'g-dlq' },
      topic: { name: topic },
      receiptHandle: message.systemProperties!.receiptHandle,
      messageId: id,
      deliveryAttempt: 1,
      maxDeliveryAttempts: 16,
    });
    expect(forwarded.status.code).toBe('OK');
    const frames = await receive(receiveRequest('%DLQ%g-dlq', 'dlq-reader'));
    const [dead] = messagesOf(frames);
    expect(dead.systemProperties).toMatchObject({ messageId: id, deadLetterQueue: { topic, messageId: id } });
    expect(dead.userProperties ?? {}).toEqual({});
    expect(messagesOf(await receive(receiveRequest(topic, 'g-dlq')))).toEqual([]);
  });

  it.each([
    ['an illegal filter', { filterExpression: { type: 'TAG', expression: '||' } }, 'ILLEGAL_FILTER_EXPRESSION'],
    ['an invisible duration under the minimum', { invisibleDuration: { nanos: 500_000_000 } }, 'ILLEGAL_INVISIBLE_TIME'],
    ['no invisible duration without auto renew', { invisibleDuration: undefined }, 'ILLEGAL_INVISIBLE_TIME'],
    ['a batch size of 0', { batchSize: 0 }, 'BAD_REQUEST'],
    ['no group', { group: undefined }, 'ILLEGAL_CONSUMER_GROUP'],
    ['a system group', { group: { name: 'CID_RMQ_SYS_TRANS' } }, 'ILLEGAL_CONSUMER_GROUP'],
  ])('refuses a receive with %s', async (_what, overrides, code) => {
    const topic = await newTopic();
    const frames = await receive(receiveRequest(topic, 'g-refused', overrides as Partial<ReceiveMessageRequest>));
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatchObject({ status: { code } });
    expect(frames[1]).toMatchObject({ content: 'deliveryTimestamp' });
  });

  it('refuses a receive of an unknown topic and one whose deadline leaves no time to poll', async () => {
    const unknown = await receive(receiveRequest('no-such-topic', 'g'));
    expect(unknown[0]).toMatchObject({ status: { code: 'TOPIC_NOT_FOUND', message: 'No topic route info in name server for the topic: no-such-topic' } });
    const topic = await newTopic();
    const hurried = await receive(receiveRequest(topic, 'g', { longPollingTimeout: { seconds: 2 } }), 400);
    expect(hurried[0]).toMatchObject({ status: { code: 'ILLEGAL_POLLING_TIME' } });
  });

  it('ends the long poll when the client cancels, and loses no message', async () => {
    const topic = await newTopic();
    const call = client.openStream('ReceiveMessage', receiveRequest(topic, 'g-cancel', { longPollingTimeout: { seconds: 3 } }));
    const ended = new Promise((resolve) => call.on('error', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    call.cancel();
    await expect(ended).resolves.toMatchObject({ code: GrpcStatus.CANCELLED });
    const id = await send(topic, 'after cancel');
    const [message] = messagesOf(await receive(receiveRequest(topic, 'g-cancel')));
    expect(message.systemProperties).toMatchObject({ messageId: id, deliveryAttempt: 1 });
  });
});
