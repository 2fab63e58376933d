import { Message, SendMessageResponse } from '../apps/broker/src/grpc/messaging.types';
import { writeQueueOf } from '../apps/broker/src/publishing/publish-rules';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

const TOPIC = 'fifo-payments';
const CONSUMER_GROUP = 'payment-settler';
const WRITE_QUEUES = 8;
const MESSAGE_GROUPS = ['order-7', 'order-8', 'order-9', 'order-10'];

/**
 * A FIFO message a consumer group gave up on, resent from its dead-letter queue through the admin
 * API, lands on its message group's queue: the queue a client's SendMessage of that group goes
 * to, behind the group's earlier messages and ahead of its later ones, so the group stays in
 * order. The send is raw gRPC, the dead-lettering the delivery engine's, the resend
 * `POST /groups/:group/dlq/:messageId/resend`, all on one in-process broker.
 */
describe('a FIFO message resent from the dead-letter queue', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;

  beforeAll(async () => {
    broker = await startTestBroker();
    client = new RawMessagingClient(broker.grpcEndpoint);
    await broker.broker.topics.upsert({ name: TOPIC, messageType: 'FIFO', readQueueNums: WRITE_QUEUES, writeQueueNums: WRITE_QUEUES });
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  /** Sends one FIFO message over gRPC naming queue 0, as rocketmq-client-nodejs does; answers the queue it was stored on. */
  async function send(messageId: string, messageGroup: string): Promise<number> {
    const message: Message = {
      topic: { name: TOPIC },
      body: Buffer.from(`body of ${messageId}`),
      systemProperties: { messageId, messageGroup, queueId: 0, messageType: 'FIFO', bodyEncoding: 'IDENTITY', bornTimestamp: { seconds: 1_700_000_000 } },
    };
    const response = await client.unary<SendMessageResponse>('SendMessage', { messages: [message] });
    expect(response.status.code).toBe('OK');
    const [stored] = (await broker.broker.store.queryByMessageId(messageId)).filter((m) => m.topic === TOPIC);
    return stored.queueId;
  }

  async function deadLetterEverythingReceived(): Promise<string[]> {
    const received = await broker.broker.delivery.receive({
      group: CONSUMER_GROUP,
      topic: TOPIC,
      batchSize: 32,
      filter: { type: 'TAG', expression: '*' },
      invisibleDurationMs: 60_000,
      longPollingTimeoutMs: 0,
      clientId: client.clientId,
    });
    if (received.status !== 'ok') throw new Error(`receive failed: ${JSON.stringify(received)}`);
    for (const { receiptHandle } of received.messages) {
      expect(await broker.broker.delivery.forwardToDeadLetterQueue(CONSUMER_GROUP, TOPIC, receiptHandle)).toEqual({ status: 'ok' });
    }
    return received.messages.map((m) => m.message.messageId);
  }

  it("lands on its message group's queue, in line between the group's messages sent before and after", async () => {
    const deadIds = MESSAGE_GROUPS.map((group) => `dead-${group}`);
    // The case that tells the two queue choices apart: some dead letter's id spreads to a queue other than its group's.
    expect(MESSAGE_GROUPS.some((group, i) => writeQueueOf({ writeQueueNums: WRITE_QUEUES }, { messageId: deadIds[i] }) !== groupQueue(group))).toBe(true);

    const sentQueues = new Map<string, number>();
    for (const [i, group] of MESSAGE_GROUPS.entries()) sentQueues.set(group, await send(deadIds[i], group));
    expect((await deadLetterEverythingReceived()).sort()).toEqual([...deadIds].sort());

    for (const [i, group] of MESSAGE_GROUPS.entries()) {
      const response = await fetch(`http://127.0.0.1:${broker.httpPort}/groups/${CONSUMER_GROUP}/dlq/${deadIds[i]}/resend`, { method: 'POST' });
      expect(response.status).toBe(200);
      const resent = (await response.json()) as { topic: string; queueId: number };
      expect({ group, topic: resent.topic, queueId: resent.queueId }).toEqual({ group, topic: TOPIC, queueId: sentQueues.get(group) });
    }

    for (const group of MESSAGE_GROUPS) {
      expect({ group, queueId: await send(`after-${group}`, group) }).toEqual({ group, queueId: sentQueues.get(group) });
      const queue = await broker.broker.store.readQueue(TOPIC, sentQueues.get(group)!, 0, 100);
      const line = queue.filter((m) => m.messageGroup === group).map((m) => m.messageId);
      expect(line).toEqual([`dead-${group}`, `dead-${group}`, `after-${group}`]);
    }
  });

  function groupQueue(group: string): number {
    return writeQueueOf({ writeQueueNums: WRITE_QUEUES }, { messageId: '', messageGroup: group });
  }
});
