import { queueForMessageGroup } from '../apps/broker/src/topics/write-queue';
import { randomUUID } from 'node:crypto';
import { Message, SendMessageResponse, SystemProperties } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/** SendMessage over raw gRPC: what is stored, batch atomicity, and every refusal's code. */
describe('gRPC SendMessage', () => {
  const MAX_BODY_BYTES = 1024;
  let broker: TestBroker;
  let client: RawMessagingClient;

  beforeAll(async () => {
    broker = await startTestBroker({ maxMessageSizeBytes: MAX_BODY_BYTES });
    client = new RawMessagingClient(broker.grpcEndpoint);
    const topics = broker.broker.topics;
    await topics.upsert({ name: 'normal', readQueueNums: 4, writeQueueNums: 4 });
    await topics.upsert({ name: 'fifo', messageType: 'FIFO', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'delay', messageType: 'DELAY', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'transactions', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    await topics.upsert({ name: 'not-writable', perm: 4 });
    await topics.upsert({ name: 'batch', readQueueNums: 1, writeQueueNums: 1 });
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  function message(topic: string, system: Partial<SystemProperties> = {}, extra: Partial<Message> = {}): Message {
    return {
      topic: { name: topic },
      body: Buffer.from(`body of ${topic}`),
      systemProperties: {
        messageId: randomUUID(),
        queueId: 0,
        bornTimestamp: { seconds: 1_700_000_000, nanos: 5_000_000 },
        bornHost: 'client-host',
        messageType: 'NORMAL',
        bodyEncoding: 'IDENTITY',
        ...system,
      },
      ...extra,
    };
  }

  const send = (...messages: Message[]) => client.unary<SendMessageResponse>('SendMessage', { messages });

  it('stores a message with the client id, queue, tag, keys, properties and born time it was sent with', async () => {
    const sent = message('normal', { queueId: 2, tag: 'TagA', keys: ['k1', 'k 2'], traceContext: 'trace-1' }, { userProperties: { color: 'red', size: 'L' } });
    const response = await send(sent);
    expect(response.status).toEqual({ code: 'OK', message: 'OK' });
    expect(response.entries).toEqual([
      {
        status: { code: 'OK', message: 'OK' },
        messageId: sent.systemProperties!.messageId,
        offset: 0,
        transactionId: sent.systemProperties!.messageId,
        recallHandle: '',
      },
    ]);
    const [stored] = await broker.broker.store.readQueue('normal', 2, 0, 1);
    expect(stored).toMatchObject({
      messageId: sent.systemProperties!.messageId,
      topic: 'normal',
      queueId: 2,
      tag: 'TagA',
      keys: ['k1', 'k 2'],
      bornTimestampMs: 1_700_000_000_005,
      properties: { color: 'red', size: 'L', __BORNHOST: 'client-host', TRACE_CONTEXT: 'trace-1' },
    });
    expect(stored.body.toString()).toBe('body of normal');
  });

  it('stores a batch with one append: consecutive offsets, one result per message', async () => {
    const messages = [message('batch'), message('batch'), message('batch')];
    const response = await send(...messages);
    expect(response.status.code).toBe('OK');
    expect(response.entries!.map((entry) => [entry.messageId, entry.offset])).toEqual(messages.map((m, i) => [m.systemProperties!.messageId, i]));
    expect(broker.broker.store.getQueueBounds('batch', 0)).toEqual({ minOffset: 0, maxOffset: 3 });
  });

  it('refuses a whole batch when one message is invalid: nothing is stored', async () => {
    const before = broker.broker.store.getQueueBounds('batch', 0);
    const response = await send(message('batch'), message('batch', {}, { userProperties: { UNIQ_KEY: 'x' } }), message('batch'));
    expect(response.status).toEqual({ code: 'ILLEGAL_MESSAGE_PROPERTY_KEY', message: 'property is used by system: UNIQ_KEY' });
    expect(response.entries ?? []).toEqual([]);
    expect(broker.broker.store.getQueueBounds('batch', 0)).toEqual(before);
  });

  it('puts a message group in the queue its group hashes to, whatever queue the client named', async () => {
    // Java's "order-1".hashCode() is -1207111310 (queue 0 of 2); "order-2" is -1207111309 (queue 1).
    expect([queueForMessageGroup('order-1', 2), queueForMessageGroup('order-2', 2)]).toEqual([0, 1]);
    for (const n of [1, 2, 3]) {
      expect((await send(message('fifo', { messageGroup: 'order-1', queueId: 1, messageType: 'FIFO' }, { body: Buffer.from(`a${n}`) }))).status.code).toBe(
        'OK',
      );
      expect((await send(message('fifo', { messageGroup: 'order-2', queueId: 0, messageType: 'FIFO' }, { body: Buffer.from(`b${n}`) }))).status.code).toBe(
        'OK',
      );
    }
    const queue0 = await broker.broker.store.readQueue('fifo', 0, 0, 10);
    const queue1 = await broker.broker.store.readQueue('fifo', 1, 0, 10);
    expect(queue0.map((m) => [m.messageGroup, m.body.toString()])).toEqual([
      ['order-1', 'a1'],
      ['order-1', 'a2'],
      ['order-1', 'a3'],
    ]);
    expect(queue1.map((m) => [m.messageGroup, m.body.toString()])).toEqual([
      ['order-2', 'b1'],
      ['order-2', 'b2'],
      ['order-2', 'b3'],
    ]);
  });

  it.each([
    ['an unknown topic', () => message('no-such-topic'), 'TOPIC_NOT_FOUND', 'No topic route info in name server for the topic: no-such-topic'],
    [
      'a FIFO message to a NORMAL topic',
      () => message('normal', { messageGroup: 'g', messageType: 'FIFO' }),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      'TopicMessageType validate failed, the expected type is NORMAL, but actual type is FIFO',
    ],
    [
      'a normal message to a FIFO topic',
      () => message('fifo'),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      'TopicMessageType validate failed, the expected type is FIFO, but actual type is NORMAL',
    ],
    [
      'a delayed message to a NORMAL topic',
      () => message('normal', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 60 } }),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      'TopicMessageType validate failed, the expected type is NORMAL, but actual type is DELAY',
    ],
    [
      'a transactional message to a NORMAL topic',
      () => message('normal', { messageType: 'TRANSACTION' }),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      'TopicMessageType validate failed, the expected type is NORMAL, but actual type is TRANSACTION',
    ],
    [
      'a normal message to a TRANSACTION topic',
      () => message('transactions'),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      'TopicMessageType validate failed, the expected type is TRANSACTION, but actual type is NORMAL',
    ],
    [
      'a transactional batch',
      () => message('transactions', { messageType: 'TRANSACTION' }),
      'BAD_REQUEST',
      'transactional messages cannot be sent in a batch',
      2,
    ],
    [
      'a body over maxMessageSizeBytes',
      () => message('normal', {}, { body: Buffer.alloc(MAX_BODY_BYTES + 1) }),
      'MESSAGE_BODY_TOO_LARGE',
      `message body cannot exceed the max ${MAX_BODY_BYTES}`,
    ],
    ['an empty body', () => message('normal', {}, { body: Buffer.alloc(0) }), 'MESSAGE_BODY_EMPTY', 'message body cannot be empty'],
    ['a missing message id', () => message('normal', { messageId: '' }), 'ILLEGAL_MESSAGE_ID', 'message id cannot be empty'],
    ['a tag with |', () => message('normal', { tag: 'a|b' }), 'ILLEGAL_MESSAGE_TAG', "tag cannot contain '|'"],
    ['a blank key', () => message('normal', { keys: ['  '] }), 'ILLEGAL_MESSAGE_KEY', 'key cannot be the char sequence of whitespace'],
    [
      'a control character in a property',
      () => message('normal', {}, { userProperties: { a: 'x\u0001' } }),
      'ILLEGAL_MESSAGE_PROPERTY_KEY',
      'the value of property cannot contain control character',
    ],
    ['a too long message group', () => message('fifo', { messageGroup: 'g'.repeat(64) }), 'ILLEGAL_MESSAGE_GROUP', 'message group exceed the max size 64'],
    [
      'a queue the topic does not have',
      () => message('normal', { queueId: 4 }),
      'BAD_REQUEST',
      'queue 4 is not a write queue of topic normal (write queues: 0..3)',
    ],
    ['a topic without write permission', () => message('not-writable'), 'FORBIDDEN', 'no writable queue'],
    ['a system topic', () => message('SCHEDULE_TOPIC_XXXX'), 'ILLEGAL_TOPIC', 'cannot access system topic'],
    [
      'a delivery time beyond the max delay',
      () => message('delay', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 3 * 86_400 } }),
      'ILLEGAL_DELIVERY_TIME',
      'the max delay time of message is too large, max is 86400000',
    ],
  ])('refuses %s', async (_what, build, code, text, count = 1) => {
    const response = await send(...Array.from({ length: count }, build));
    expect(response.status).toEqual({ code, message: text });
  });

  it('hands a transactional message to the transaction layer as an invisible half message and answers its transaction id', async () => {
    const half = message('transactions', { messageType: 'TRANSACTION' });
    const response = await send(half);
    expect(response.status.code).toBe('OK');
    const [entry] = response.entries!;
    // As Apache's: the message id is the transaction id; the offset is the half message's (its commit-log offset here).
    expect(entry).toMatchObject({ messageId: half.systemProperties!.messageId, transactionId: half.systemProperties!.messageId });
    expect(Number(entry.offset)).toBe(broker.broker.transactions.list().find((view) => view.messageId === entry.messageId)?.offset);
    expect(broker.broker.store.getQueueBounds('transactions', 0).maxOffset).toBe(0);
    expect(broker.broker.transactions.list()).toContainEqual(
      expect.objectContaining({ transactionId: entry.transactionId, messageId: half.systemProperties!.messageId, state: 'pending' }),
    );
  });

  it('refuses malformed requests with 400-class codes, never an error', async () => {
    expect((await client.unary<SendMessageResponse>('SendMessage', {})).status).toEqual({ code: 'MESSAGE_CORRUPTED', message: 'no message to send' });
    expect((await send(message('normal'), message('batch'))).status).toEqual({ code: 'MESSAGE_CORRUPTED', message: 'topic in message is not same' });
    expect((await send({ body: Buffer.from('x') })).status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'The specified topic is blank' });
    expect((await send({ topic: { name: 'normal' }, body: Buffer.from('x') })).status.code).toBe('ILLEGAL_MESSAGE_ID');
    const delayedBatch = [
      message('delay', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 60 } }),
      message('delay', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 60 } }),
    ];
    expect((await send(...delayedBatch)).status).toEqual({ code: 'BAD_REQUEST', message: 'delayed messages cannot be sent in a batch' });
    const withoutClientId = await client.unary<SendMessageResponse>('SendMessage', { messages: [message('normal')] }, { clientId: null });
    expect(withoutClientId.status.code).toBe('CLIENT_ID_REQUIRED');
  });

  it('hands a message due later to the delay scheduler, and stores it at once when its time has passed', async () => {
    const later = message('delay', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) + 3600 } });
    const pendingBefore = broker.broker.scheduler.pendingCount();
    expect((await send(later)).status.code).toBe('OK');
    expect(broker.broker.scheduler.pendingCount()).toBe(pendingBefore + 1);
    expect(broker.broker.store.getQueueBounds('delay', 0).maxOffset).toBe(0);

    const past = message('delay', { deliveryTimestamp: { seconds: Math.floor(Date.now() / 1000) - 10 } });
    expect((await send(past)).status.code).toBe('OK');
    const [stored] = await broker.broker.store.readQueue('delay', 0, 0, 1);
    expect(stored.messageId).toBe(past.systemProperties!.messageId);
  });

  it('accepts RocketMQ 4 delay levels in the DELAY property and does not keep the property', async () => {
    const pendingBefore = broker.broker.scheduler.pendingCount();
    const leveled = message('delay', {}, { userProperties: { DELAY: '3', note: 'n' } });
    expect((await send(leveled)).status.code).toBe('OK');
    expect(broker.broker.scheduler.pendingCount()).toBe(pendingBefore + 1);
  });
});

describe('gRPC SendMessage with autoCreateTopicEnable', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;

  beforeAll(async () => {
    broker = await startTestBroker({ autoCreateTopicEnable: true, defaultTopicQueueNums: 3 });
    client = new RawMessagingClient(broker.grpcEndpoint);
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  it('routes an unknown topic as it will be created, and creates it on the first send', async () => {
    const route = await client.unary<{ status: { code: string }; messageQueues?: Array<{ id: number }> }>('QueryRoute', { topic: { name: 'fresh' } });
    expect(route.status.code).toBe('OK');
    expect(route.messageQueues!.map((queue) => queue.id)).toEqual([0, 1, 2]);
    expect(broker.broker.topics.get('fresh')).toBeUndefined();
    const response = await client.unary<SendMessageResponse>('SendMessage', {
      messages: [{ topic: { name: 'fresh' }, body: Buffer.from('x'), systemProperties: { messageId: randomUUID(), queueId: 2 } }],
    });
    expect(response.status.code).toBe('OK');
    expect(broker.broker.topics.get('fresh')).toMatchObject({ readQueueNums: 3, writeQueueNums: 3, messageType: 'NORMAL' });
    const percent = await client.unary<{ status: { code: string } }>('QueryRoute', { topic: { name: '%RETRY%fresh' } });
    expect(percent.status.code).toBe('TOPIC_NOT_FOUND');
  });
});
