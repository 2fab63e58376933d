import { createTestDatabase, TestDatabase } from './support/test-database';
import { createNotificationTestApp, ManualClock, migrateNotificationTables, NotificationTestApp, TestReceiver } from './support/notification-harness';
import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { BestEffortNotify, DEFAULT_RETRY_LADDER_MS, generateWebhookSecret, NotificationPruner, OutboxError, verifyWebhook } from '@app/outbox';

/** A service notifying through the decorator instead of calling notify(). */
@Injectable()
class RefundService {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  @BestEffortNotify<{ id: string }, [string, string, boolean?]>({
    endpoint: (_refund, _id, endpoint) => endpoint,
    event: 'refund.created',
    payload: (refund) => ({ refundId: refund.id }),
    idempotencyKey: (refund) => `refund:${refund.id}`,
  })
  async refund(id: string, _endpoint: string, fail = false): Promise<{ id: string }> {
    await this.txHost.tx.query('INSERT INTO payments (id, amount) VALUES ($1, -1)', [id]);
    if (fail) throw new Error(`refund ${id} failed on purpose`);
    return { id };
  }
}

/**
 * The sender against a real receiver on 127.0.0.1 and real PostgreSQL, the ladder walked with a
 * manual clock: transactional notify, delivery, retries, 410, 429, redirects, timeouts, the
 * breaker, dead letters and manual re-send.
 */
describe('best-effort notification: delivery', () => {
  let db: TestDatabase;
  let sender: NotificationTestApp;
  let receiver: TestReceiver;
  let url: string;
  const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
  const secret = generateWebhookSecret();
  let endpointSeq = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateNotificationTables(db.url);
    sender = await createNotificationTestApp(db.url, { clock }, [RefundService]);
  });

  afterAll(async () => {
    await sender?.app.close();
    await db?.drop();
  });

  beforeEach(async () => {
    receiver = new TestReceiver();
    url = await receiver.start();
  });

  afterEach(async () => {
    await receiver.stop();
    // Each case starts with no notifications, so one case's retries never land in the next.
    await sender.dataSource.query('TRUNCATE mq_notification, mq_notification_attempt');
  });

  async function newEndpoint(overrides: { retryLadderMs?: number[]; timeoutMs?: number } = {}): Promise<string> {
    const id = `merchant-${++endpointSeq}`;
    await sender.service.registerEndpoint({ id, url, secrets: [secret], ...overrides });
    return id;
  }

  async function statusOf(id: string) {
    return (await sender.service.getNotification(id))!;
  }

  /** Moves the clock to the notification's next attempt and runs one round. */
  async function nextRound(id: string): Promise<void> {
    const row = await statusOf(id);
    if (row.next_attempt_at > clock.now()) clock.advanceMs(row.next_attempt_at.getTime() - clock.now().getTime());
    await sender.worker.runOnce();
  }

  it('writes the notification in the business transaction: a rollback leaves none, a repeated key gives one', async () => {
    const endpoint = await newEndpoint();
    await expect(sender.payments.pay('p-rolled-back', 10, endpoint, true)).rejects.toThrow('on purpose');
    const first = await sender.payments.pay('p-1', 10, endpoint);
    const again = await sender.payments.pay('p-1', 10, endpoint);
    expect(again).toBe(first);
    const [{ count }] = await sender.dataSource.query('SELECT count(*)::int AS count FROM mq_notification');
    expect(count).toBe(1);
    await expect(sender.service.notify({ endpoint, event: 'x', payload: {}, idempotencyKey: 'outside' })).rejects.toMatchObject({
      code: 'OUTBOX_ERR_NOTIFY_NO_TRANSACTION',
    });
    await expect(sender.payments.pay('p-2', 1, 'no-such-endpoint')).rejects.toBeInstanceOf(OutboxError);
  });

  it("@BestEffortNotify writes the notification in the method's transaction, and none when it throws", async () => {
    const endpoint = await newEndpoint();
    const refunds = sender.app.get(RefundService);
    await expect(refunds.refund('r-failed', endpoint, true)).rejects.toThrow('on purpose');
    await refunds.refund('r-1', endpoint);
    const rows = await sender.dataSource.query('SELECT event, payload, idempotency_key FROM mq_notification');
    expect(rows).toEqual([{ event: 'refund.created', payload: { refundId: 'r-1' }, idempotency_key: 'refund:r-1' }]);
    expect(await sender.dataSource.query(`SELECT id FROM payments WHERE id LIKE 'r-%'`)).toEqual([{ id: 'r-1' }]);
  });

  it('500 three times then 200: delivered on attempt 4, four attempts recorded, ladder delays with jitter', async () => {
    const endpoint = await newEndpoint();
    receiver.responder = (_request, nth) => (nth <= 3 ? { status: 500, body: 'boom '.repeat(500) } : { status: 204 });
    const id = await sender.payments.pay('p-500', 42, endpoint);
    for (let attempt = 1; attempt <= 4; attempt++) {
      await nextRound(id);
      const row = await statusOf(id);
      if (attempt < 4) {
        expect(row.status).toBe('pending');
        const delay = row.next_attempt_at.getTime() - clock.now().getTime();
        expect(delay).toBeGreaterThanOrEqual(DEFAULT_RETRY_LADDER_MS[attempt - 1] * 0.8);
        expect(delay).toBeLessThanOrEqual(DEFAULT_RETRY_LADDER_MS[attempt - 1] * 1.2);
      }
    }
    const row = await statusOf(id);
    expect(row).toMatchObject({ status: 'delivered', attempt_count: 4 });
    const attempts = await sender.service.listAttempts(id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.outcome, a.kind])).toEqual([
      [1, 500, 'retry', 'scheduled'],
      [2, 500, 'retry', 'scheduled'],
      [3, 500, 'retry', 'scheduled'],
      [4, 204, 'delivered', 'scheduled'],
    ]);
    expect(attempts[0].response_excerpt!.length).toBe(1024);
    // The same webhook-id on every attempt, each signed for its own timestamp.
    expect(new Set(receiver.requests.map((r) => r.id))).toEqual(new Set([id]));
    const last = receiver.requests[3];
    const verified = verifyWebhook(last.headers, last.body, { secrets: [secret], now: () => clock.now() });
    expect(verified).toMatchObject({ id, event: 'payment.succeeded', payload: { paymentId: 'p-500', amount: 42 } });
    const metrics = await sender.registry.metrics();
    expect(metrics).toContain('mq_notification_attempts_total{outcome="5xx"} 3');
    expect(metrics).toContain('mq_notification_rows{status="delivered"} 1');
  });

  it('a timeout is a failure and the next attempt waits at least 60 s', async () => {
    const endpoint = await newEndpoint({ timeoutMs: 300 });
    receiver.responder = () => ({ status: 200, hang: true });
    const id = await sender.payments.pay('p-timeout', 1, endpoint);
    const before = clock.now().getTime();
    await sender.worker.runOnce();
    const row = await statusOf(id);
    expect(row.status).toBe('pending');
    expect(row.next_attempt_at.getTime() - before).toBeGreaterThanOrEqual(60_000);
    const [attempt] = await sender.service.listAttempts(id);
    expect(attempt).toMatchObject({ status_code: null, outcome: 'retry' });
    expect(attempt.error).toContain('timed out after 300 ms');
    expect(attempt.latency_ms).toBeGreaterThanOrEqual(250);
  });

  it('429 with Retry-After is honoured; 503 without one waits at least 60 s', async () => {
    const endpoint = await newEndpoint();
    receiver.responder = (_request, nth) => (nth === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 503 });
    const id = await sender.payments.pay('p-429', 1, endpoint);
    let before = clock.now().getTime();
    await sender.worker.runOnce();
    expect((await statusOf(id)).next_attempt_at.getTime() - before).toBe(120_000);
    clock.advanceMs(120_000);
    before = clock.now().getTime();
    await sender.worker.runOnce();
    const row = await statusOf(id);
    expect(row.attempt_count).toBe(2);
    expect(row.next_attempt_at.getTime() - before).toBe(60_000);
  });

  it('a redirect is a failure and is not followed', async () => {
    const endpoint = await newEndpoint();
    receiver.responder = (request) =>
      request.headers.host && receiver.requests.length === 1 ? { status: 302, headers: { location: `${url}/elsewhere` } } : { status: 200 };
    const id = await sender.payments.pay('p-302', 1, endpoint);
    await sender.worker.runOnce();
    expect(receiver.requests).toHaveLength(1);
    const [attempt] = await sender.service.listAttempts(id);
    expect(attempt).toMatchObject({ status_code: 302, outcome: 'retry' });
    expect(attempt.error).toContain('not followed');
  });

  it('410 disables the endpoint; its notifications wait until it is re-enabled', async () => {
    const endpoint = await newEndpoint();
    receiver.responder = () => ({ status: 410 });
    const gone = await sender.payments.pay('p-410', 1, endpoint);
    await sender.worker.runOnce();
    expect((await sender.service.getEndpoint(endpoint))!.disabled_reason).toContain('410');
    const waiting = await sender.payments.pay('p-410-b', 1, endpoint);
    clock.advanceMs(3_600_000);
    expect(await sender.worker.runOnce()).toBe(0);
    expect(await sender.registry.metrics()).toContain('mq_notification_rows{status="waiting"} 2');
    receiver.responder = () => ({ status: 200 });
    await sender.service.enableEndpoint(endpoint);
    expect(await sender.worker.runOnce()).toBe(2);
    expect((await statusOf(gone)).status).toBe('delivered');
    expect((await statusOf(waiting)).status).toBe('delivered');
  });

  it('after the last step a notification is failed, listed, and re-sent by hand (one, or a range skipping delivered)', async () => {
    const endpoint = await newEndpoint({ retryLadderMs: [1000, 1000] });
    receiver.responder = () => ({ status: 500 });
    const a = await sender.payments.pay('p-dead-a', 1, endpoint);
    const b = await sender.payments.pay('p-dead-b', 1, endpoint);
    for (let round = 0; round < 3; round++) {
      await sender.worker.runOnce();
      clock.advanceMs(1200);
    }
    expect((await sender.service.listFailed({ endpoint })).map((row) => row.id).sort()).toEqual([a, b].sort());
    receiver.responder = () => ({ status: 200 });
    await sender.service.resend(a);
    await sender.worker.runOnce();
    expect((await statusOf(a)).status).toBe('delivered');
    expect((await sender.service.listAttempts(a)).at(-1)).toMatchObject({ attempt: 4, kind: 'manual', outcome: 'delivered' });
    const day = { from: new Date(clock.now().getTime() - 86_400_000), to: new Date(clock.now().getTime() + 1) };
    expect(await sender.service.resendFailed(endpoint, day)).toBe(1);
    await sender.worker.runOnce();
    expect((await statusOf(b)).status).toBe('delivered');
    await expect(sender.service.resend('msg_missing')).rejects.toMatchObject({ code: 'OUTBOX_ERR_NOTIFY_NOT_FOUND' });
  });

  it('circuit breaker: failures spanning disableAfterHours with no success disable the endpoint', async () => {
    const fiftyHoursMs = 50 * 3_600_000;
    const endpoint = await newEndpoint({ retryLadderMs: [fiftyHoursMs, fiftyHoursMs, fiftyHoursMs, fiftyHoursMs] });
    receiver.responder = () => ({ status: 500 });
    const id = await sender.payments.pay('p-breaker', 1, endpoint);
    for (let round = 0; round < 4 && !(await sender.service.getEndpoint(endpoint))!.disabled_at; round++) await nextRound(id);
    const disabled = (await sender.service.getEndpoint(endpoint))!;
    expect(disabled.disabled_reason).toContain('with no success');
    expect(disabled.disabled_at!.getTime() - disabled.first_failure_at!.getTime()).toBeGreaterThanOrEqual(120 * 3_600_000);
    expect((await statusOf(id)).status).toBe('pending');
  });

  // After the metrics case: it adds a 5xx attempt, which that case counts, and moves the clock a month.
  it('prunes delivered notifications and their attempts after the retention (30 days), keeping failed and recent ones', async () => {
    const endpoint = await newEndpoint();
    const lastChance = await newEndpoint({ retryLadderMs: [] });
    receiver.responder = () => ({ status: 204 });
    const delivered = await sender.payments.pay('p-prune-old', 1, endpoint);
    await nextRound(delivered);
    expect((await statusOf(delivered)).status).toBe('delivered');
    receiver.responder = () => ({ status: 500 });
    const failed = await sender.payments.pay('p-prune-failed', 1, lastChance);
    await nextRound(failed);
    expect((await statusOf(failed)).status).toBe('failed');
    clock.advanceMs(31 * 24 * 3_600_000);
    receiver.responder = () => ({ status: 204 });
    const recent = await sender.payments.pay('p-prune-recent', 1, endpoint);
    await nextRound(recent);
    const pruner = sender.app.get(NotificationPruner);
    expect(await pruner.prune()).toBe(1);
    expect(await sender.service.getNotification(delivered)).toBeUndefined();
    expect(await sender.service.listAttempts(delivered)).toEqual([]);
    expect((await statusOf(failed)).status).toBe('failed');
    expect((await statusOf(recent)).status).toBe('delivered');
  });

  it('the SSRF guard refuses loopback without the allowlist, by IP literal and by name', async () => {
    const strict = await createNotificationTestApp(db.url, { clock, allowedAddresses: [] });
    try {
      const endpoint = await newEndpoint();
      const byName = `merchant-${++endpointSeq}`;
      await sender.service.registerEndpoint({ id: byName, url: url.replace('127.0.0.1', 'localhost'), secrets: [secret] });
      const literal = await sender.payments.pay('p-ssrf-ip', 1, endpoint);
      const named = await sender.payments.pay('p-ssrf-name', 1, byName);
      expect(await strict.worker.runOnce()).toBe(2);
      expect(receiver.requests).toHaveLength(0);
      for (const id of [literal, named]) {
        const [attempt] = await sender.service.listAttempts(id);
        expect(attempt.error).toContain('refused to connect');
      }
    } finally {
      await strict.app.close();
    }
  });
});
