import { Injectable, OnModuleInit } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { MessageView as ClientMessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { MessageQueryResponse, MessageView } from '@app/admin-client';
import { MqHalfMessage, MqModule, MqModuleOptions, MqTransactionProducer } from '@app/mq';
import { run } from '../apps/broker/src/cli/mqadmin';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * MqTransactionProducer's node:http2 wire (`producer.transactionWire: 'http2'`, the default) sends
 * what the official client's own calls send: the same half message sent and committed through
 * each wire is stored and delivered with the same fields, every field a client or the admin API
 * shows compared (ids and times aside); the signed headers are the official client's, so with
 * authentication on the wire's calls are accepted, and refused with UNAUTHORIZED once the
 * user's secret no longer matches.
 */

const TOPIC = 'wire-orders';
const SUPER = { username: 'rocketmq', password: '12345678' };

@Injectable()
class CommittingChecker implements OnModuleInit {
  constructor(private readonly producer: MqTransactionProducer) {}

  onModuleInit(): void {
    this.producer.registerChecker(TOPIC, async () => 'COMMIT');
  }
}

async function transactionalApp(options: MqModuleOptions): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports: [MqModule.forRoot(options)], providers: [CommittingChecker] }).compile();
  await app.init();
  return app;
}

/** What a consumer sees of a message, less what differs between any two sends (ids, times, receipt, offset). */
function comparableDelivery(view: ClientMessageView): Record<string, unknown> {
  return {
    topic: view.topic,
    body: view.body.toString(),
    tag: view.tag,
    keys: view.keys,
    properties: Object.fromEntries(view.properties),
    messageGroup: view.messageGroup,
    deliveryTimestamp: view.deliveryTimestamp,
    bornHost: view.bornHost,
    deliveryAttempt: view.deliveryAttempt,
    endpoints: view.endpoints?.facade,
    messageIdLength: view.messageId.length,
  };
}

/** What the admin API shows of a stored record, less ids, offsets and times. */
function comparableRecord(record: MessageView): Record<string, unknown> {
  const { messageId, queueOffset, commitLogOffset, bornTimestampMs, storeTimestampMs, sizeBytes, ...rest } = record;
  return {
    ...rest,
    messageIdLength: messageId.length,
    offsetsAreNumbers: [queueOffset, commitLogOffset, bornTimestampMs, storeTimestampMs, sizeBytes].every(Number.isFinite),
  };
}

describe('libs/mq: the http2 transactional wire sends what the official client sends', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  const apps: TestingModule[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100 } });
    await broker.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('stores and delivers the same fields for the same half message, committed, through either wire', async () => {
    const consumer: SimpleConsumer = await clients.simpleConsumer({
      consumerGroup: 'wire-parity',
      subscriptions: new Map([[TOPIC, '*']]),
      awaitDuration: 1_000,
    });
    const sent: Record<string, MqHalfMessage> = {};
    for (const transactionWire of ['official', 'http2'] as const) {
      const app = await transactionalApp({ endpoints: broker.grpcEndpoint, logger: false, producer: { transactionWire } });
      apps.push(app);
      const half = await app
        .get(MqTransactionProducer)
        .sendHalf(
          TOPIC,
          { orderId: 'o-1', amount: 12.5 },
          { tag: 'paid', keys: ['order-o-1', 'customer-7'], properties: { source: 'wire-test', 'x-trace': 'abc' } },
        );
      expect(half.transactionId).not.toBe('');
      await half.commit();
      sent[transactionWire] = half;
    }

    const received = await receiveAndAck(consumer, 2, 20_000);
    const byId = new Map(received.map((view) => [view.messageId, view]));
    const official = byId.get(sent.official.messageId);
    const http2 = byId.get(sent.http2.messageId);
    expect(official && http2).toBeTruthy();
    expect(comparableDelivery(http2!)).toEqual(comparableDelivery(official!));
    expect(comparableDelivery(http2!)).toMatchObject({
      tag: 'paid',
      keys: ['order-o-1', 'customer-7'],
      properties: expect.objectContaining({ source: 'wire-test' }),
    });
    expect(Math.abs(http2!.bornTimestamp!.getTime() - Date.now())).toBeLessThan(60_000);

    // The stored records (the half message and what its commit stored), as the admin API shows them.
    const records = async (messageId: string): Promise<Array<Record<string, unknown>>> => {
      const response = await fetch(`http://127.0.0.1:${broker.httpPort}/messages/${messageId}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as MessageQueryResponse).records.map(comparableRecord);
    };
    const officialRecords = await records(sent.official.messageId);
    expect(officialRecords.map((record) => record.recordType)).toContain('PREPARED');
    expect(await records(sent.http2.messageId)).toEqual(officialRecords);
    // The broker saw both halves from the producers' client ids, ended by the client (not by a check-back).
    expect(broker.broker.transactions.list().filter((view) => view.topic === TOPIC)).toEqual([]);
  }, 60_000);
});

describe('libs/mq: the http2 transactional wire signs its calls as the official client does (authenticationEnabled)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    broker = await startTestBroker(
      { authenticationEnabled: true, initAuthenticationUser: JSON.stringify(SUPER) },
      { messaging: { minLongPollingTimeoutMs: 100 } },
    );
    await broker.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await app?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('is accepted with the right credentials, and refused with UNAUTHORIZED once the secret changed', async () => {
    const credentials = { accessKey: SUPER.username, accessSecret: SUPER.password };
    app = await transactionalApp({ endpoints: broker.grpcEndpoint, logger: false, credentials });
    const producer = app.get(MqTransactionProducer);
    const consumer = await clients.simpleConsumer({
      consumerGroup: 'wire-auth',
      subscriptions: new Map([[TOPIC, '*']]),
      awaitDuration: 1_000,
      sessionCredentials: credentials,
    });
    const half = await producer.sendHalf(TOPIC, { orderId: 'signed' });
    await half.commit();
    const received = await receiveAndAck(consumer, 1, 20_000);
    expect(received.map((view) => view.messageId)).toEqual([half.messageId]);

    const code = await run(
      [
        'updateUser',
        '-n',
        `127.0.0.1:${broker.httpPort}`,
        '--accessKey',
        SUPER.username,
        '--secretKey',
        SUPER.password,
        '-u',
        SUPER.username,
        '-p',
        'changed-secret',
      ],
      {
        stdout: () => undefined,
        stderr: () => undefined,
        env: {},
      },
    );
    expect(code).toBe(0);
    const refused = await producer.sendHalf(TOPIC, { orderId: 'stale secret' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'MQ_ERR_SEND_FAILED', context: { brokerCode: 'UNAUTHORIZED' } });
    expect((refused as Error).message).toMatch(/check signature failed/);
  }, 60_000);
});
