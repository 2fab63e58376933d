import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { generateWebhookSecret, verifyWebhook } from '@app/outbox';
import { AppModule } from '../apps/pay-service/src/app.module';
import { loadPayServiceConfig } from '../apps/pay-service/src/pay-service.config';
import { TestReceiver } from './support/notification-harness';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { RecordingChecker, TransactionResolution, waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * pay-service against a real broker and PostgreSQL: orders learned from `order-created` /
 * `order-closed` (sent here as order-service would, in broker transactions), payments with their
 * `payment-succeeded` message (read by a consumer of its own) and merchant notification.
 */
const TOPICS = ['order-created', 'order-closed', 'payment-succeeded'];

describe('pay-service', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;
  let reader: SimpleConsumer;
  let receiver: TestReceiver;
  let app: INestApplication;
  let dataSource: DataSource;
  const secret = generateWebhookSecret();
  const received: MessageView[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 } });
    for (const name of TOPICS) await broker.broker.topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 2, writeQueueNums: 2 });
    receiver = new TestReceiver();
    const callbackUrl = await receiver.start();
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer({ topic: ['order-created', 'order-closed'], checker: new RecordingChecker(() => TransactionResolution.COMMIT) });
    reader = await clients.simpleConsumer({ consumerGroup: 'test-order-service', subscriptions: new Map([['payment-succeeded', '*']]), awaitDuration: 500 });
    const config = loadPayServiceConfig({
      DATABASE_URL: database.url,
      MQ_ENDPOINTS: broker.grpcEndpoint,
      CALLBACK_SECRET: secret,
      MERCHANT_CALLBACK_URL: callbackUrl,
      NOTIFY_ALLOW_LOOPBACK: 'true',
      NOTIFY_RETRY_LADDER_MS: '200,400',
      BUYER_SEED: 'alice:1000,bob:300,carol:500',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ ...config, consumerLongPollingTimeoutMs: 1_000, notifyPollIntervalMs: 100 })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: process.env.PAY_TEST_LOG ? undefined : false });
    await app.init();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await app?.close();
    await receiver?.stop();
    await broker?.stop();
    await database?.drop();
  });

  const http = () => request(app.getHttpServer());

  /** Sends an order-service message in a committed broker transaction, keyed by order id. */
  async function sendOrderEvent(topic: 'order-created' | 'order-closed', payload: { orderId: string; buyerId?: string; amount?: number }): Promise<void> {
    const transaction = producer.beginTransaction();
    await producer.send({ topic, keys: [payload.orderId], body: Buffer.from(JSON.stringify(payload)) }, transaction);
    await transaction.commit();
  }

  async function knownStatus(orderId: string): Promise<string | undefined> {
    const rows = await dataSource.query<Array<{ status: string }>>('SELECT status FROM known_order WHERE order_id = $1', [orderId]);
    return rows[0]?.status;
  }

  async function createOrder(orderId: string, buyerId: string, amount: number): Promise<void> {
    await sendOrderEvent('order-created', { orderId, buyerId, amount });
    await waitFor(`order ${orderId} known`, async () => (await knownStatus(orderId)) !== undefined, 10_000);
  }

  async function balance(buyerId: string): Promise<number> {
    return (await http().get(`/accounts/${buyerId}`).expect(200)).body.balance as number;
  }

  /** payment-succeeded messages of an order read so far (receiving and acking what arrived). */
  async function paymentMessages(orderId: string): Promise<Array<Record<string, unknown>>> {
    for (const message of await reader.receive(16, 30_000)) {
      received.push(message);
      await reader.ack(message);
    }
    return received.filter((message) => message.keys.includes(orderId)).map((message) => JSON.parse(message.body.toString()) as Record<string, unknown>);
  }

  it('pays a known order: 201, balance debited, one payment-succeeded message, merchant notified, queryable', async () => {
    await createOrder('o-1', 'alice', 250);
    const response = await http().post('/payments').send({ orderId: 'o-1' }).expect(201);
    expect(response.body).toEqual({ id: expect.any(String), orderId: 'o-1', buyerId: 'alice', amount: 250, createdAt: expect.any(String) });
    const paymentId = response.body.id as string;
    expect(await balance('alice')).toBe(750);

    await waitFor('payment-succeeded of o-1', async () => (await paymentMessages('o-1')).length >= 1, 10_000);
    // Keep reading a moment: a duplicate would show up here.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await paymentMessages('o-1')).toEqual([{ paymentId, orderId: 'o-1', buyerId: 'alice', amount: 250 }]);

    await waitFor('merchant notification', () => receiver.requests.length >= 1, 10_000);
    const [callback] = receiver.requests;
    const verified = verifyWebhook(callback.headers, callback.body, { secrets: [secret] });
    expect(JSON.parse(callback.body)).toMatchObject({ type: 'payment.succeeded', data: { orderId: 'o-1', paymentId, amount: 250 } });
    expect(verified).toBeDefined();

    const query = await http().get('/payments/o-1').expect(200);
    expect(query.body).toEqual(response.body);
    expect((await http().get('/payments').expect(200)).body).toEqual([response.body]);
  });

  it('refuses a second payment of a paid order with 409 and a reason', async () => {
    const response = await http().post('/payments').send({ orderId: 'o-1' }).expect(409);
    expect(response.body.reason).toMatch(/already paid/);
    expect(await balance('alice')).toBe(750);
  });

  it('answers 404 for an order pay-service does not know (yet)', async () => {
    const response = await http().post('/payments').send({ orderId: 'o-unknown' }).expect(404);
    expect(response.body).toEqual({ statusCode: 404, reason: 'unknown order (not yet known to pay-service)' });
    await http().get('/payments/o-unknown').expect(404);
  });

  it('refuses a closed order with 409, including one closed before it was created (topics unordered)', async () => {
    await createOrder('o-closed', 'alice', 100);
    await sendOrderEvent('order-closed', { orderId: 'o-closed' });
    await waitFor('o-closed closed', async () => (await knownStatus('o-closed')) === 'CLOSED', 10_000);
    expect((await http().post('/payments').send({ orderId: 'o-closed' }).expect(409)).body.reason).toMatch(/closed/);

    await sendOrderEvent('order-closed', { orderId: 'o-early' });
    await waitFor('o-early closed', async () => (await knownStatus('o-early')) === 'CLOSED', 10_000);
    await sendOrderEvent('order-created', { orderId: 'o-early', buyerId: 'alice', amount: 100 });
    await waitFor(
      'o-early created',
      async () => (await dataSource.query("SELECT 1 FROM known_order WHERE order_id = 'o-early' AND buyer_id = 'alice'")).length === 1,
      10_000,
    );
    expect(await knownStatus('o-early')).toBe('CLOSED');
    await http().post('/payments').send({ orderId: 'o-early' }).expect(409);
    expect(await balance('alice')).toBe(750);
  });

  it('two concurrent payments of one order: exactly one 201, the other 409', async () => {
    await createOrder('o-race', 'carol', 100);
    const responses = await Promise.all([0, 1, 2].map(() => http().post('/payments').send({ orderId: 'o-race' })));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409]);
    expect(await balance('carol')).toBe(400);
    const rows = await dataSource.query("SELECT count(*)::int AS n FROM payment WHERE order_id = 'o-race'");
    expect(rows[0].n).toBe(1);
  });

  it('refuses a payment the balance cannot cover with 402, nothing debited or recorded', async () => {
    await createOrder('o-big', 'bob', 301);
    const response = await http().post('/payments').send({ orderId: 'o-big' }).expect(402);
    expect(response.body.reason).toMatch(/insufficient balance/);
    expect(await balance('bob')).toBe(300);
    await http().get('/payments/o-big').expect(404);
  });

  it('answers 400 with the reason for bad input', async () => {
    expect((await http().post('/payments').send({}).expect(400)).body.reason).toMatch(/orderId/);
    expect((await http().post('/payments').send({ orderId: 42 }).expect(400)).body.reason).toMatch(/orderId must be a string/);
    expect((await http().post('/payments').send({ orderId: 'o-1', amount: 1 }).expect(400)).body.reason).toMatch(/property amount should not exist/);
  });

  it('lists accounts, answers 404 for an unknown buyer, and reports health', async () => {
    const accounts = (await http().get('/accounts').expect(200)).body as Array<{ buyerId: string; balance: number }>;
    expect(accounts.map((account) => [account.buyerId, account.balance])).toEqual([
      ['alice', 750],
      ['bob', 300],
      ['carol', 400],
    ]);
    expect((await http().get('/accounts/nobody').expect(404)).body.reason).toMatch(/no account/);
    const health = await http().get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', service: 'pay-service' });
  });

  it('GET /metrics serves the payments sent, the merchant notifications and the outbox backlog', async () => {
    const text = (await http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/^mq_messages_sent_total\{topic="payment-succeeded",result="success"\} [1-9]/m);
    expect(text).toMatch(/^mq_local_transactions_total\{topic="payment-succeeded",result="committed"\} [1-9]/m);
    expect(text).toMatch(/^mq_notification_attempts_total\{outcome="2xx"\} [1-9]/m);
    expect(text).toContain('mq_outbox_pending_rows 0');
  });

  it('lists a notification that used up its ladder, shows its attempts, and re-sends it by hand', async () => {
    receiver.responder = () => ({ status: 500, body: 'merchant down' });
    try {
      await createOrder('o-notify', 'carol', 100);
      await http().post('/payments').send({ orderId: 'o-notify' }).expect(201);
      // Ladder 200, 400 ms: three attempts, then failed (a dead letter).
      let failed: Array<{ id: string; payload: { orderId: string }; attempts: number; status: string }> = [];
      await waitFor(
        'a failed notification',
        async () => {
          failed = (await http().get('/notifications/failed').expect(200)).body;
          return failed.some((n) => n.payload.orderId === 'o-notify');
        },
        10_000,
      );
      const dead = failed.find((n) => n.payload.orderId === 'o-notify')!;
      expect(dead).toMatchObject({ status: 'failed', attempts: 3 });
      const detail = (await http().get(`/notifications/${dead.id}`).expect(200)).body;
      expect(detail.attemptLog.map((a: { statusCode: number; kind: string }) => [a.statusCode, a.kind])).toEqual([
        [500, 'scheduled'],
        [500, 'scheduled'],
        [500, 'scheduled'],
      ]);

      receiver.responder = () => ({ status: 204 });
      expect((await http().post(`/notifications/${dead.id}/resend`).expect(202)).body).toEqual({ id: dead.id, status: 'queued' });
      await waitFor(
        'the re-sent notification delivered',
        async () => (await http().get(`/notifications/${dead.id}`).expect(200)).body.status === 'delivered',
        10_000,
      );
      expect((await http().get('/notifications/failed').expect(200)).body.some((n: { id: string }) => n.id === dead.id)).toBe(false);
      await http().get('/notifications/msg_unknown').expect(404);
      expect((await http().post('/notifications/msg_unknown/resend').expect(404)).body.reason).toMatch(/no failed or delivered notification/);
    } finally {
      receiver.responder = () => ({ status: 200, body: 'ok' });
    }
  });
});
