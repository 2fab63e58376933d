import { randomUUID } from 'node:crypto';
import { FilterExpression } from 'rocketmq-client-nodejs';
import { Message, ReceiveMessageResponse, SendMessageResponse } from '../apps/broker/src/grpc/messaging.types';
import { OfficialClients } from '@app/testkit';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/**
 * Namespaces as Apache RocketMQ 5's proxy has them (grpc/resource-namespace.ts): a request's
 * resource namespace and `x-mq-namespace` header are accepted and the resource's name alone names
 * the topic; a stored name `<namespace>%<name>` is handed out split into the two.
 */
describe('namespaces', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let raw: RawMessagingClient;

  beforeAll(async () => {
    broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 3_000 } });
    await broker.broker.topics.upsert({ name: 'orders', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'tenant-a%invoices', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
    raw = new RawMessagingClient(broker.grpcEndpoint);
  });

  afterAll(async () => {
    raw?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('a client with a namespace sends to and receives from the topic its resource names, as on Apache (no isolation)', async () => {
    const producer = await clients.producer({ namespace: 'tenant-a' });
    const receipt = await producer.send({ topic: 'orders', body: Buffer.from('from tenant-a') });
    const consumer = await clients.simpleConsumer({
      consumerGroup: 'orders-reader',
      subscriptions: new Map([['orders', FilterExpression.SUB_ALL]]),
      awaitDuration: 2_000,
    });
    let received: Awaited<ReturnType<typeof consumer.receive>> = [];
    for (let attempt = 0; attempt < 10 && received.length === 0; attempt++) received = await consumer.receive(1, 10_000);
    expect(received.map((view) => [view.messageId, view.topic, view.body.toString()])).toEqual([[receipt.messageId, 'orders', 'from tenant-a']]);
    await consumer.ack(received[0]);
    expect(broker.broker.topics.get('tenant-a%orders')).toBeUndefined();
  });

  it('hands out a stored "<namespace>%<name>" topic as its namespace and name', async () => {
    const messageId = randomUUID();
    const message: Message = {
      topic: { name: 'tenant-a%invoices' },
      body: Buffer.from('invoice 1'),
      userProperties: {},
      systemProperties: { messageId, queueId: 0, bornTimestamp: { seconds: 1_700_000_000 }, bornHost: 'producer-host', messageType: 'NORMAL' },
    };
    expect((await raw.unary<SendMessageResponse>('SendMessage', { messages: [message] })).status.code).toBe('OK');
    const frames = await raw.stream<ReceiveMessageResponse>('ReceiveMessage', {
      group: { name: 'invoice-reader' },
      messageQueue: { topic: { name: 'tenant-a%invoices' }, id: 0, broker: { name: 'broker-a' } },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: 1,
      invisibleDuration: { seconds: 30 },
      autoRenew: false,
      longPollingTimeout: { seconds: 1 },
    });
    const messages = frames.flatMap((frame) => ('message' in frame ? [frame.message] : []));
    expect(messages.map((received) => [received.systemProperties?.messageId, received.topic])).toEqual([
      [messageId, { resourceNamespace: 'tenant-a', name: 'invoices' }],
    ]);
  });
});
