import { Controller, HttpCode, INestApplication, Module, Post, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { createNotificationTestApp, migrateNotificationTables, NotificationTestApp } from './support/notification-harness';
import {
  generateWebhookSecret,
  NotificationModule,
  NotificationReconciler,
  outboxClsModule,
  signWebhook,
  WebhookInbox,
  WebhookSignatureGuard,
} from '@app/outbox';
import type { VerifiedWebhook } from '@app/outbox';

const RECEIVER_SECRET = generateWebhookSecret();
const GROUP = 'order-service:payments';

/** What the receiving application did, per webhook id. */
const handled: string[] = [];
let failNext = false;

@Controller('webhooks')
class PaymentWebhookController {
  constructor(private readonly inbox: WebhookInbox) {}

  @Post('payments')
  @HttpCode(204)
  @UseGuards(new WebhookSignatureGuard({ secrets: [RECEIVER_SECRET] }))
  async receive(@Req() request: { webhook: VerifiedWebhook<{ paymentId: string }> }): Promise<void> {
    const webhook = request.webhook;
    await this.inbox.consumeOnce(GROUP, webhook.id, async () => {
      // Slow enough that concurrent duplicates overlap.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (failNext) {
        failNext = false;
        throw new Error('handler failed on purpose');
      }
      handled.push(webhook.id);
    });
  }
}

function receiverModule(databaseUrl: string) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl, entities: [], synchronize: false }),
      outboxClsModule(),
      NotificationModule.forRoot({ workerEnabled: false }),
    ],
    controllers: [PaymentWebhookController],
  })
  class ReceiverModule {}
  return ReceiverModule;
}

/**
 * The receiver's side: a NestJS app created with `rawBody: true`, the signature guard, dedupe on
 * webhook-id through mq_consumed, and the reconciliation helper; the sender is the real worker.
 */
describe('best-effort notification: receiver', () => {
  let db: TestDatabase;
  let receiver: INestApplication;
  let sender: NotificationTestApp;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateNotificationTables(db.url);
    receiver = await NestFactory.create(receiverModule(db.url), { rawBody: true, logger: false });
    await receiver.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(receiver.getHttpServer().address() as AddressInfo).port}/webhooks/payments`;
    sender = await createNotificationTestApp(db.url);
    // Key rotation: the sender signs with a new secret and the old one; this receiver knows only the old.
    await sender.service.registerEndpoint({ id: 'order-service', url, secrets: [generateWebhookSecret(), RECEIVER_SECRET] });
  });

  afterAll(async () => {
    await sender?.app.close();
    await receiver?.close();
    await db?.drop();
  });

  function post(body: string, headers: Record<string, string>): Promise<Response> {
    return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  }

  function signed(id: string, body: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
    return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signWebhook([RECEIVER_SECRET], id, timestampSeconds, body) };
  }

  it('verifies and handles a delivered notification once, also when it is re-sent', async () => {
    const id = await sender.payments.pay('r-1', 5, 'order-service');
    await sender.worker.runOnce();
    expect((await sender.service.getNotification(id))!.status).toBe('delivered');
    await sender.service.resend(id);
    await sender.worker.runOnce();
    expect((await sender.service.listAttempts(id)).map((a) => a.status_code)).toEqual([204, 204]);
    expect(handled.filter((h) => h === id)).toHaveLength(1);
  });

  it('runs the handler once for concurrent duplicates, answering 2xx to each', async () => {
    const body = JSON.stringify({ type: 'payment.succeeded', data: { paymentId: 'r-dup' } });
    const headers = signed('msg_concurrent_dup', body);
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(body, headers)));
    expect(responses.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    expect(handled.filter((h) => h === 'msg_concurrent_dup')).toHaveLength(1);
  });

  it('rejects a tampered body, an old timestamp and a missing signature with 401', async () => {
    const body = JSON.stringify({ type: 'payment.succeeded', data: { paymentId: 'r-2', amount: 5 } });
    const tampered = await post(body.replace('"amount":5', '"amount":5000'), signed('msg_tampered', body));
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ code: 'OUTBOX_ERR_NOTIFY_SIGNATURE_INVALID' });
    const old = await post(body, signed('msg_old', body, Math.floor(Date.now() / 1000) - 6 * 60));
    expect(old.status).toBe(401);
    expect(await old.json()).toMatchObject({ code: 'OUTBOX_ERR_NOTIFY_TIMESTAMP_OUT_OF_TOLERANCE' });
    expect((await post(body, { 'webhook-id': 'msg_unsigned', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) })).status).toBe(401);
    expect(handled).not.toEqual(expect.arrayContaining(['msg_tampered', 'msg_old', 'msg_unsigned']));
  });

  it('a handler that throws leaves no dedupe row, so the retry runs it', async () => {
    failNext = true;
    const id = await sender.payments.pay('r-fail', 5, 'order-service');
    await sender.worker.runOnce();
    expect((await sender.service.getNotification(id))!.status).toBe('pending');
    await sender.dataSource.query("UPDATE mq_notification SET next_attempt_at = now() - interval '1 second' WHERE id = $1", [id]);
    await sender.worker.runOnce();
    expect((await sender.service.listAttempts(id)).map((a) => a.status_code)).toEqual([500, 204]);
    expect(handled.filter((h) => h === id)).toHaveLength(1);
  });

  it('reconciles overdue records by querying the sender, applying each result once', async () => {
    const dataSource = receiver.get(DataSource);
    await dataSource.query(`CREATE TABLE orders (id text PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL)`);
    await dataSource.query(
      `INSERT INTO orders VALUES ('o-paid', 'awaiting', now() - interval '1 hour'), ('o-unknown', 'awaiting', now() - interval '1 hour'), ('o-new', 'awaiting', now())`,
    );
    const reconciler = receiver.get(NotificationReconciler);
    const queried: string[] = [];
    const run = () =>
      reconciler.reconcile<{ id: string }, { status: 'paid' }>({
        group: GROUP,
        overdueAfterMs: 10 * 60_000,
        // A stale read on purpose (every record, whatever its status), to show apply() runs once anyway.
        findAwaiting: (olderThan, limit) => dataSource.query('SELECT id FROM orders WHERE created_at < $1 ORDER BY id LIMIT $2', [olderThan, limit]),
        query: async (order) => {
          queried.push(order.id);
          return order.id === 'o-paid' ? { status: 'paid' } : undefined;
        },
        keyOf: (order) => `payment:${order.id}`,
        apply: async (order) => {
          await dataSource.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [order.id]);
          handled.push(`reconciled:${order.id}`);
        },
      });
    expect(await run()).toEqual({ checked: 2, applied: 1, duplicates: 0, unanswered: 1, failed: 0 });
    expect(await run()).toEqual({ checked: 2, applied: 0, duplicates: 1, unanswered: 1, failed: 0 });
    expect(queried).not.toContain('o-new');
    expect(handled.filter((h) => h === 'reconciled:o-paid')).toHaveLength(1);
    // A webhook deduped on the same business key arriving after the reconciliation is skipped.
    expect(await receiver.get(WebhookInbox).consumeOnce(GROUP, 'payment:o-paid', async () => undefined)).toBe('duplicate');
  });
});
