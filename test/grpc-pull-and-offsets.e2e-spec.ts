import { randomUUID } from 'node:crypto';
import {
  GetOffsetResponse,
  Message,
  PullMessageRequest,
  PullMessageResponse,
  QueryOffsetResponse,
  SendMessageResponse,
  UpdateOffsetResponse,
} from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/** Queue-offset consumption over raw gRPC: PullMessage, UpdateOffset, GetOffset, QueryOffset. */
describe('gRPC pull and offsets', () => {
  const TOPIC = 'ledger';
  let broker: TestBroker;
  let client: RawMessagingClient;
  const sentIds: string[] = [];
  let beforeSecondBatchMs = 0;

  beforeAll(async () => {
    broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 3_000 } });
    client = new RawMessagingClient(broker.grpcEndpoint);
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 2, writeQueueNums: 2 });
    await sendBatch(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    beforeSecondBatchMs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sendBatch(2);
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  async function sendBatch(count: number): Promise<void> {
    const messages: Message[] = [];
    for (let i = 0; i < count; i++) {
      const messageId = randomUUID();
      sentIds.push(messageId);
      messages.push({
        topic: { name: TOPIC },
        body: Buffer.from(`entry ${sentIds.length}`),
        systemProperties: { messageId, queueId: 0, tag: i % 2 === 0 ? 'even' : 'odd' },
      });
    }
    const response = await client.unary<SendMessageResponse>('SendMessage', { messages });
    expect(response.status.code).toBe('OK');
  }

  const queue = (id = 0) => ({ topic: { name: TOPIC }, id, broker: { name: 'broker-a' } });
  const pull = (request: Partial<PullMessageRequest>) =>
    client.stream<PullMessageResponse>('PullMessage', {
      group: { name: 'auditor' },
      messageQueue: queue(),
      offset: 0,
      batchSize: 10,
      filterExpression: { type: 'TAG', expression: '*' },
      longPollingTimeout: { nanos: 200_000_000 },
      ...request,
    });
  const ids = (frames: PullMessageResponse[]) => frames.flatMap((frame) => ('message' in frame ? [frame.message.systemProperties!.messageId] : []));
  const nextOffset = (frames: PullMessageResponse[]) => (frames[frames.length - 1] as { nextOffset: number }).nextOffset;

  it('pulls from an offset: status, messages, then the next offset', async () => {
    const frames = await pull({ offset: 1, batchSize: 2 });
    expect(frames[0]).toMatchObject({ status: { code: 'OK' } });
    expect(ids(frames)).toEqual(sentIds.slice(1, 3));
    expect(nextOffset(frames)).toBe(3);
    const message = (frames[1] as { message: Message }).message;
    expect(message.systemProperties).toMatchObject({ queueOffset: 1, deliveryAttempt: 1 });
    expect(message.systemProperties!.receiptHandle).toBeUndefined();
  });

  it('pulls with a tag filter, and again from the same offset (pulling changes no state)', async () => {
    const odd = await pull({ filterExpression: { type: 'TAG', expression: 'odd' } });
    expect(ids(odd)).toEqual([sentIds[1], sentIds[4]]);
    expect(ids(await pull({}))).toEqual(sentIds);
  });

  it('answers MESSAGE_NOT_FOUND at the end of the queue and ILLEGAL_OFFSET past it, each with the next offset', async () => {
    const atEnd = await pull({ offset: 5 });
    expect(atEnd[0]).toMatchObject({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no new message' } });
    expect(nextOffset(atEnd)).toBe(5);
    const past = await pull({ offset: 50 });
    expect(past[0]).toMatchObject({ status: { code: 'ILLEGAL_OFFSET' } });
    expect(nextOffset(past)).toBe(5);
    expect((await pull({ offset: -1 }))[0]).toMatchObject({ status: { code: 'ILLEGAL_OFFSET' } });
  });

  it('refuses pulls of a queue the topic does not have, of unknown topics and with illegal filters', async () => {
    expect((await pull({ messageQueue: queue(7) }))[0]).toMatchObject({ status: { code: 'BAD_REQUEST' } });
    expect((await pull({ messageQueue: { topic: { name: 'nope' }, id: 0 } }))[0]).toMatchObject({ status: { code: 'TOPIC_NOT_FOUND' } });
    expect((await pull({ filterExpression: { type: 'SQL', expression: 'a >' } }))[0]).toMatchObject({ status: { code: 'ILLEGAL_FILTER_EXPRESSION' } });
    expect((await pull({ group: undefined }))[0]).toMatchObject({ status: { code: 'ILLEGAL_CONSUMER_GROUP', message: 'the specified group is blank' } });
  });

  it('commits and reads back a group offset; a group without one gets OFFSET_NOT_FOUND', async () => {
    const update = await client.unary<UpdateOffsetResponse>('UpdateOffset', { group: { name: 'auditor' }, messageQueue: queue(), offset: 2 });
    expect(update.status.code).toBe('OK');
    const got = await client.unary<GetOffsetResponse>('GetOffset', { group: { name: 'auditor' }, messageQueue: queue() });
    expect(got).toMatchObject({ status: { code: 'OK' }, offset: 2 });
    const none = await client.unary<GetOffsetResponse>('GetOffset', { group: { name: 'newcomer' }, messageQueue: queue(1) });
    expect(none.status.code).toBe('OFFSET_NOT_FOUND');
    const negative = await client.unary<UpdateOffsetResponse>('UpdateOffset', { group: { name: 'auditor' }, messageQueue: queue(), offset: -3 });
    expect(negative.status.code).toBe('ILLEGAL_OFFSET');
  });

  it('refuses an offset past the queue end with ILLEGAL_OFFSET, and the group keeps its lag', async () => {
    const update = (offset: number) => client.unary<UpdateOffsetResponse>('UpdateOffset', { group: { name: 'bookkeeper' }, messageQueue: queue(), offset });
    expect((await update(1)).status.code).toBe('OK');
    expect((await update(1_000_000)).status).toEqual({ code: 'ILLEGAL_OFFSET', message: `offset 1000000 is past the max offset 5 of ${TOPIC} queue 0` });
    const got = await client.unary<GetOffsetResponse>('GetOffset', { group: { name: 'bookkeeper' }, messageQueue: queue() });
    expect(got).toMatchObject({ status: { code: 'OK' }, offset: 1 });
    expect(broker.broker.delivery.progress('bookkeeper')).toEqual([{ topic: TOPIC, queueId: 0, brokerOffset: 5, consumerOffset: 1, inFlight: 0, lag: 4 }]);
    expect((await update(5)).status.code).toBe('OK');
  });

  it('finds start offsets: BEGINNING, END and by TIMESTAMP', async () => {
    const query = (request: object) => client.unary<QueryOffsetResponse>('QueryOffset', { messageQueue: queue(), ...request });
    expect(await query({ queryOffsetPolicy: 'BEGINNING' })).toMatchObject({ status: { code: 'OK' } });
    expect((await query({ queryOffsetPolicy: 'BEGINNING' })).offset ?? 0).toBe(0);
    expect((await query({ queryOffsetPolicy: 'END' })).offset).toBe(5);
    const at = Math.floor(beforeSecondBatchMs);
    expect((await query({ queryOffsetPolicy: 'TIMESTAMP', timestamp: { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1_000_000 } })).offset).toBe(3);
    expect((await query({ queryOffsetPolicy: 'TIMESTAMP' })).status).toEqual({
      code: 'BAD_REQUEST',
      message: 'timestamp is required for TIMESTAMP query offset policy',
    });
    expect((await query({ queryOffsetPolicy: 9 })).status.code).toBe('BAD_REQUEST');
  });

  // Found by test/fuzz: int64s past 2^53 arrive rounded (proto-loader's longs: Number); a long-polling
  // timeout of min int64 was clamped and used, and a born timestamp past a safe millisecond count
  // reached the store's int64 writer, which cannot encode it. Each is refused now, and nothing is
  // stored or committed.
  it('refuses int64 values a number cannot hold exactly, and changes nothing', async () => {
    const offsetBefore = await client.unary<GetOffsetResponse>('GetOffset', { group: { name: 'auditor' }, messageQueue: queue() });
    const update = await client.unary<UpdateOffsetResponse>('UpdateOffset', { group: { name: 'auditor' }, messageQueue: queue(), offset: '9007199254740993' });
    expect(update.status.code).toBe('ILLEGAL_OFFSET');
    expect(update.status.message).toContain('offset cannot be represented exactly');
    expect(await client.unary<GetOffsetResponse>('GetOffset', { group: { name: 'auditor' }, messageQueue: queue() })).toEqual(offsetBefore);

    const polled = await client.stream<PullMessageResponse>('PullMessage', {
      group: { name: 'auditor' },
      messageQueue: queue(),
      offset: 0,
      batchSize: 10,
      filterExpression: { type: 'TAG', expression: '*' },
      longPollingTimeout: { seconds: '-9223372036854775808' },
    });
    expect(polled).toHaveLength(1);
    expect(polled[0]).toMatchObject({ status: { code: 'ILLEGAL_POLLING_TIME' } });

    const boundsBefore = broker.broker.store.getQueueBounds(TOPIC, 0);
    const sent = await client.unary<SendMessageResponse>('SendMessage', {
      messages: [
        {
          topic: { name: TOPIC },
          body: Buffer.from('x'),
          systemProperties: { messageId: randomUUID(), queueId: 0, bornTimestamp: { seconds: '9223372036854775807' } },
        },
      ],
    });
    expect(sent.status).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('messages[0].systemProperties.bornTimestamp.seconds') });
    expect(broker.broker.store.getQueueBounds(TOPIC, 0)).toEqual(boundsBefore);
  });
});
