import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { FaultInjector, FaultPoint } from '@app/faults';
import { MqTransactionProducer } from '@app/mq';
import { generateWebhookSecret, signWebhook } from '@app/outbox';
import { AppModule } from '../apps/order-service/src/app.module';
import { loadOrderServiceConfig } from '../apps/order-service/src/order-service.config';
import {
  ORDER_CLOSED_TOPIC,
  ORDER_CREATED_TOPIC,
  ORDER_SERVICE_GROUP,
  ORDER_TIMEOUT_TOPIC,
  PAYMENT_SUCCEEDED_TOPIC,
} from '../apps/order-service/src/order-service.topics';
import { OrdersService } from '../apps/order-service/src/orders/orders.service';
import { PaymentReconciliationService } from '../apps/order-service/src/payments/payment-reconciliation.service';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * order-service against real PostgreSQL and the in-process broker: orders with `order-created`,
 * `payment-succeeded` applied once, the timeout closing with `order-closed`, the signed callback,
 * the reconciliation against a fake pay-service, validation and 404s.
 */

const ORDER_TIMEOUT_MS = 1_500;
const SECRET = generateWebhookSecret();

/**
 * The fault points as a test sees them: a hit is recorded, and an armed one throws instead of
 * killing the process, which is what a crash at that point leaves for the others to handle (an
 * unacked message, an unanswered request).
 */
class RecordingFaultInjector extends FaultInjector {
  readonly hits: FaultPoint[] = [];
  readonly armed = new Set<FaultPoint>();

  override hit(point: FaultPoint): void {
    this.hits.push(point);
    if (this.armed.delete(point)) throw new Error(`FAULT ${point}`);
  }
}

interface Received {
  topic: string;
  keys: string[];
  body: Record<string, unknown>;
}

describe('order-service', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let reader: SimpleConsumer;
  let payService: Server;
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  /** pay-service's payments, by order id, as the fake `GET /payments/:orderId` answers them. */
  const payments = new Map<string, { id: string; orderId: string }>();
  const received: Received[] = [];
  let reading = true;
  let readLoop: Promise<void>;

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startTestBroker(
      { transactionTimeoutMs: 800, transactionCheckIntervalMs: 400 },
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 },
        transaction: { checkScanIntervalMs: 100 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
      },
    );
    for (const [name, messageType] of [
      [ORDER_CREATED_TOPIC, 'TRANSACTION'],
      [ORDER_CLOSED_TOPIC, 'TRANSACTION'],
      [PAYMENT_SUCCEEDED_TOPIC, 'TRANSACTION'],
      [ORDER_TIMEOUT_TOPIC, 'DELAY'],
    ] as const) {
      await broker.broker.topics.upsert({ name, messageType, readQueueNums: 2, writeQueueNums: 2 });
    }
    payService = createServer((req, res) => {
      const payment = payments.get(decodeURIComponent(/^\/payments\/(.+)$/.exec(req.url ?? '')?.[1] ?? ''));
      res.writeHead(payment ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(payment ?? { reason: 'no payment' }));
    });
    await new Promise<void>((resolve) => payService.listen(0, '127.0.0.1', resolve));
    const config = loadOrderServiceConfig({
      DATABASE_URL: database.url,
      MQ_ENDPOINTS: broker.grpcEndpoint,
      ORDER_TIMEOUT_MS: String(ORDER_TIMEOUT_MS),
      PAY_SERVICE_URL: `http://127.0.0.1:${(payService.address() as AddressInfo).port}`,
      CALLBACK_SECRET: SECRET,
      RECONCILE_AFTER_MS: '0',
      RECONCILE_INTERVAL_MS: '0',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ ...config, consumerLongPollingTimeoutMs: 500, consumerRetryDelaysMs: [200] })],
    })
      .overrideProvider(FaultInjector)
      .useValue(new RecordingFaultInjector(new Map()))
      .compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: process.env.ORDER_SERVICE_TEST_LOG ? undefined : false });
    await app.listen(0, '127.0.0.1');
    http = request(app.getHttpServer());
    clients = new OfficialClients(broker.grpcEndpoint);
    reader = await clients.simpleConsumer({
      consumerGroup: 'test-reader',
      subscriptions: new Map([
        [ORDER_CREATED_TOPIC, '*'],
        [ORDER_CLOSED_TOPIC, '*'],
      ]),
      awaitDuration: 500,
    });
    readLoop = readMessages();
  });

  afterAll(async () => {
    reading = false;
    await readLoop;
    await clients?.shutdownAll();
    await app?.close();
    await new Promise((resolve) => payService?.close(resolve));
    await broker?.stop();
    await database?.drop();
  });

  async function readMessages(): Promise<void> {
    while (reading) {
      const messages: MessageView[] = await reader.receive(16, 10_000).catch(() => []);
      for (const message of messages) {
        received.push({ topic: message.topic, keys: message.keys, body: JSON.parse(message.body.toString('utf8')) });
        await reader.ack(message).catch(() => undefined);
      }
    }
  }

  function messagesOf(topic: string, orderId: string): Received[] {
    return received.filter((message) => message.topic === topic && message.keys.includes(orderId));
  }

  async function createOrder(buyerId = 'alice', amount = 250): Promise<{ id: string; status: string }> {
    return (await http.post('/orders').send({ buyerId, amount }).expect(201)).body;
  }

  async function statusOf(id: string): Promise<string> {
    return (await http.get(`/orders/${id}`).expect(200)).body.status;
  }

  async function sendPaymentSucceeded(orderId: string, paymentId: string): Promise<void> {
    const half = await app
      .get(MqTransactionProducer)
      .sendHalf(PAYMENT_SUCCEEDED_TOPIC, { paymentId, orderId, buyerId: 'alice', amount: 250 }, { keys: [orderId] });
    await half.commit();
  }

  function signedCallback(id: string, data: Record<string, unknown>): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify({ type: 'payment.succeeded', timestamp: new Date().toISOString(), data });
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook([SECRET], id, timestamp, body),
      },
    };
  }

  it('POST /orders creates a CREATED order and sends order-created with the order id as key', async () => {
    const order = await createOrder('alice', 250);
    expect(order).toEqual({ id: expect.any(String), buyerId: 'alice', amount: 250, status: 'CREATED', createdAt: expect.any(String) });
    await waitFor('order-created', () => messagesOf(ORDER_CREATED_TOPIC, order.id).length === 1, 10_000);
    expect(messagesOf(ORDER_CREATED_TOPIC, order.id)[0].body).toEqual({ orderId: order.id, buyerId: 'alice', amount: 250 });
    const list = (await http.get('/orders').expect(200)).body as Array<{ id: string }>;
    expect(list.map((listed) => listed.id)).toContain(order.id);
  });

  it('payment-succeeded sent 3 times marks the order PAID once', async () => {
    const order = await createOrder();
    const markPaid = jest.spyOn(app.get(OrdersService), 'markPaid');
    await Promise.all([1, 2, 3].map(() => sendPaymentSucceeded(order.id, 'pay-1')));
    await waitFor('PAID', async () => (await statusOf(order.id)) === 'PAID', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await http.get(`/orders/${order.id}`)).body).toMatchObject({ status: 'PAID', paymentId: 'pay-1', paidAt: expect.any(String) });
    expect(markPaid.mock.calls.filter(([orderId]) => orderId === order.id)).toHaveLength(1);
    const consumed = await app
      .get(DataSource)
      .query('SELECT count(*)::int AS n FROM mq_consumed WHERE consumer_group = $1 AND message_key = $2', [ORDER_SERVICE_GROUP, order.id]);
    expect(consumed[0].n).toBe(1);
    markPaid.mockRestore();
  });

  it('an unpaid order is CLOSED by its timeout message, with order-closed; a later payment wins', async () => {
    const order = await createOrder();
    await waitFor('CLOSED', async () => (await statusOf(order.id)) === 'CLOSED', 10_000);
    await waitFor('order-closed', () => messagesOf(ORDER_CLOSED_TOPIC, order.id).length === 1, 10_000);
    expect(messagesOf(ORDER_CLOSED_TOPIC, order.id)[0].body).toEqual({ orderId: order.id });
    // The payment committed before pay-service saw order-closed: it wins.
    await sendPaymentSucceeded(order.id, 'pay-late');
    await waitFor('PAID after close', async () => (await statusOf(order.id)) === 'PAID', 10_000);
    expect((await http.get(`/orders/${order.id}`)).body).toMatchObject({ paymentId: 'pay-late', closedAt: expect.any(String) });
  });

  it('a signed callback marks the order PAID; a duplicate is handled once; a tampered one is refused with 401', async () => {
    const order = await createOrder();
    const callback = signedCallback('msg_cb_1', { orderId: order.id, paymentId: 'pay-cb' });
    const tampered = await fetchCallback(callback.body.replace('pay-cb', 'pay-xx'), callback.headers);
    expect(tampered.status).toBe(401);
    expect(await statusOf(order.id)).toBe('CREATED');
    const markPaid = jest.spyOn(app.get(OrdersService), 'markPaid');
    const answers = await Promise.all([1, 2, 3].map(() => fetchCallback(callback.body, callback.headers)));
    expect(answers.map((answer) => answer.status)).toEqual([204, 204, 204]);
    expect((await http.get(`/orders/${order.id}`)).body).toMatchObject({ status: 'PAID', paymentId: 'pay-cb' });
    expect(markPaid).toHaveBeenCalledTimes(1);
    markPaid.mockRestore();
    const unknown = signedCallback('msg_cb_unknown', { orderId: '00000000-0000-4000-8000-000000000000', paymentId: 'pay-x' });
    expect((await fetchCallback(unknown.body, unknown.headers)).status).toBe(404);
  });

  function fetchCallback(body: string, headers: Record<string, string>): Promise<Response> {
    const { port } = app.getHttpServer().address() as AddressInfo;
    return fetch(`http://127.0.0.1:${port}/callbacks/payment`, { method: 'POST', body, headers });
  }

  it('reconciliation asks pay-service: a payment there marks the order PAID; none after the timeout closes it', async () => {
    const dataSource = app.get(DataSource);
    // Orders whose messages were lost: inserted directly, overdue, with no timeout message.
    const paid = '11111111-1111-4111-8111-111111111111';
    const unpaid = '22222222-2222-4222-8222-222222222222';
    await dataSource.query(
      `INSERT INTO orders (id, buyer_id, amount, status, created_at) VALUES ($1, 'bob', 100, 'CREATED', now() - interval '1 hour'), ($2, 'bob', 100, 'CREATED', now() - interval '1 hour')`,
      [paid, unpaid],
    );
    payments.set(paid, { id: 'pay-rec', orderId: paid });
    const reconciliation = app.get(PaymentReconciliationService);
    expect(await reconciliation.reconcileOnce()).toMatchObject({ applied: 2, failed: 0 });
    expect((await http.get(`/orders/${paid}`)).body).toMatchObject({ status: 'PAID', paymentId: 'pay-rec' });
    expect(await statusOf(unpaid)).toBe('CLOSED');
    await waitFor('order-closed of the reconciled order', () => messagesOf(ORDER_CLOSED_TOPIC, unpaid).length === 1, 10_000);
    expect(await reconciliation.reconcileOnce()).toMatchObject({ checked: 0 });
  });

  it('consumer-before-ack: a crash after the effect committed leaves it applied; the redelivery is skipped', async () => {
    const faults = app.get<FaultInjector, RecordingFaultInjector>(FaultInjector);
    const order = await createOrder();
    const markPaid = jest.spyOn(app.get(OrdersService), 'markPaid');
    faults.armed.add('consumer-before-ack');
    const hitsBefore = faults.hits.length;
    await sendPaymentSucceeded(order.id, 'pay-fault');
    await waitFor('the fault point', () => faults.hits.length > hitsBefore && !faults.armed.has('consumer-before-ack'), 10_000);
    expect(await statusOf(order.id)).toBe('PAID');
    // The handler's failure (the crash) leaves the message unacked: it comes back after the retry delay, as a duplicate.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(markPaid.mock.calls.filter(([orderId]) => orderId === order.id)).toHaveLength(1);
    expect(faults.hits.slice(hitsBefore)).toEqual(['consumer-before-ack']);
    markPaid.mockRestore();
  });

  it('in-notification-receiver: a crash after marking PAID, before answering; the retry is a 204 duplicate', async () => {
    const faults = app.get<FaultInjector, RecordingFaultInjector>(FaultInjector);
    const order = await createOrder();
    const callback = signedCallback('msg_cb_fault', { orderId: order.id, paymentId: 'pay-cb-fault' });
    faults.armed.add('in-notification-receiver');
    expect((await fetchCallback(callback.body, callback.headers)).status).toBe(500);
    expect(await statusOf(order.id)).toBe('PAID');
    expect((await fetchCallback(callback.body, callback.headers)).status).toBe(204);
    expect((await http.get(`/orders/${order.id}`)).body).toMatchObject({ status: 'PAID', paymentId: 'pay-cb-fault' });
  });

  it('bad input is 400 with the reason; unknown ids are 404', async () => {
    const missing = await http.post('/orders').send({ buyerId: 'alice' }).expect(400);
    expect(missing.body.reason).toMatch(/amount/);
    expect((await http.post('/orders').send({ buyerId: 'alice', amount: -5 }).expect(400)).body.reason).toMatch(/amount must be a positive number/);
    expect((await http.post('/orders').send({ buyerId: 'alice', amount: 1.5 }).expect(400)).body.reason).toMatch(/integer/);
    expect((await http.post('/orders').send({ buyerId: 'alice', amount: 5, extra: 1 }).expect(400)).body.reason).toMatch(/extra should not exist/);
    expect((await http.post('/orders').send({ buyerId: '', amount: 5 }).expect(400)).body.reason).toMatch(/buyerId/);
    await http.get('/orders/00000000-0000-4000-8000-000000000000').expect(404);
    expect((await http.get('/orders/not-a-uuid').expect(404)).body.reason).toMatch(/unknown order/);
  });

  it('GET /health is 200 with database and broker up', async () => {
    expect((await http.get('/health').expect(200)).body).toMatchObject({ status: 'ok', service: 'order-service' });
  });

  it("GET /metrics serves libs/mq's and libs/outbox's metrics for what the cases above did, and Node's defaults", async () => {
    const response = await http.get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = response.text;
    const value = (series: string): number => Number(new RegExp(`^${series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    // POST /orders: a @TransactionalMessage committed, its half message sent.
    expect(value(`mq_local_transactions_total{topic="${ORDER_CREATED_TOPIC}",result="committed"}`)).toBeGreaterThanOrEqual(1);
    expect(value(`mq_messages_sent_total{topic="${ORDER_CREATED_TOPIC}",result="success"}`)).toBeGreaterThanOrEqual(1);
    // payment-succeeded three times for one order: handled, and the repeats skipped by the idempotent consumer.
    expect(
      value(`mq_messages_consumed_total{topic="${PAYMENT_SUCCEEDED_TOPIC}",consumer_group="${ORDER_SERVICE_GROUP}",result="success"}`),
    ).toBeGreaterThanOrEqual(3);
    expect(value(`mq_consumer_duplicates_skipped_total{consumer_group="${ORDER_SERVICE_GROUP}"}`)).toBeGreaterThanOrEqual(2);
    expect(value('mq_outbox_pending_rows')).toBe(0);
    expect(text).toContain('# TYPE mq_transaction_check_backs_total counter');
    expect(text).toContain('# TYPE mq_notification_rows gauge');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });
});
