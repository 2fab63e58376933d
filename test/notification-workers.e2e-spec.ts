import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from './support/transaction-test-support';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { createNotificationTestApp, ManualClock, migrateNotificationTables, NotificationTestApp, TestReceiver } from './support/notification-harness';
import { buildForChildren, ChildBuild } from '@app/testkit';
import { claimDueNotifications } from '@app/outbox/testing';
import { generateWebhookSecret } from '@app/outbox';

/**
 * Several instances: claims with FOR UPDATE SKIP LOCKED never hand one notification to two
 * workers at once, and a claim left by a worker that died expires so another one delivers it.
 */
describe('best-effort notification: workers', () => {
  let db: TestDatabase;
  let first: NotificationTestApp;
  let second: NotificationTestApp;
  let receiver: TestReceiver;
  const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
  const claimTtlMs = 60_000;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateNotificationTables(db.url);
    first = await createNotificationTestApp(db.url, { clock, batchSize: 4, claimTtlMs });
    second = await createNotificationTestApp(db.url, { clock, batchSize: 4, claimTtlMs });
    receiver = new TestReceiver();
    const url = await receiver.start();
    await first.service.registerEndpoint({ id: 'shop', url, secrets: [generateWebhookSecret()] });
  });

  afterAll(async () => {
    await receiver?.stop();
    await first?.app.close();
    await second?.app.close();
    await db?.drop();
  });

  afterEach(async () => {
    await first.dataSource.query('TRUNCATE mq_notification, mq_notification_attempt');
    receiver.requests.length = 0;
  });

  it('two workers deliver 40 notifications, each exactly once and never two sends at a time', async () => {
    const inFlight = new Map<string, number>();
    let overlap = 0;
    receiver.responder = async (request) => {
      const now = (inFlight.get(request.id) ?? 0) + 1;
      inFlight.set(request.id, now);
      if (now > 1) overlap++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight.set(request.id, now - 1);
      return { status: 200 };
    };
    const ids = await Promise.all(Array.from({ length: 40 }, (_, n) => first.payments.pay(`w-${n}`, n, 'shop')));
    const drain = async (app: NotificationTestApp) => {
      while ((await app.worker.runOnce()) > 0);
    };
    await Promise.all([drain(first), drain(second), drain(first), drain(second)]);
    expect(overlap).toBe(0);
    expect(receiver.requests.map((r) => r.id).sort()).toEqual([...ids].sort());
    const [{ delivered }] = await first.dataSource.query(
      `SELECT count(*)::int AS delivered FROM mq_notification WHERE status = 'delivered' AND attempt_count = 1`,
    );
    expect(delivered).toBe(40);
  });

  it('a worker that died holding a claim: the claim expires and the notification is delivered, one attempt later', async () => {
    receiver.responder = () => ({ status: 200 });
    const id = await first.payments.pay('w-crash', 1, 'shop');
    // The dead worker: it claimed the row (attempt 1) and never recorded anything.
    const dead = new Client({ connectionString: db.url });
    await dead.connect();
    try {
      const sql = {
        query: async (statement: { name: string; text: string; values: readonly unknown[] }) =>
          (await dead.query({ ...statement, values: [...statement.values] })).rows,
      };
      const claimed = await claimDueNotifications(sql, 'public', clock.now(), new Date(clock.now().getTime() + claimTtlMs), randomUUID(), 10);
      expect(claimed.map((row) => row.id)).toEqual([id]);
    } finally {
      await dead.end();
    }
    expect(await second.worker.runOnce()).toBe(0);
    clock.advanceMs(claimTtlMs - 1000);
    expect(await second.worker.runOnce()).toBe(0);
    clock.advanceMs(1000);
    expect(await second.worker.runOnce()).toBe(1);
    const row = (await second.service.getNotification(id))!;
    expect(row).toMatchObject({ status: 'delivered', attempt_count: 2 });
    expect((await second.service.listAttempts(id)).map((a) => [a.attempt, a.outcome])).toEqual([[2, 'delivered']]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('a worker process SIGKILLed mid-delivery: another worker delivers after the claim expires, one extra attempt', async () => {
    let build: ChildBuild | undefined;
    const live = await createNotificationTestApp(db.url, { claimTtlMs: 2_000, timeoutMs: 1_500 });
    try {
      build = await buildForChildren(['libs/outbox/src', 'test/support/notification-harness.ts', 'test/support/notification-worker-child.ts']);
      let arrived!: () => void;
      const firstArrived = new Promise<void>((resolve) => (arrived = resolve));
      receiver.responder = (_request, nth) => {
        if (nth > 1) return { status: 200 };
        arrived();
        return { status: 200, hang: true };
      };
      const child = spawn(process.execPath, [build.script('test/support/notification-worker-child.ts'), db.url], {
        env: build.env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const id = await live.payments.pay('w-sigkill', 1, 'shop');
      await firstArrived;
      child.kill('SIGKILL');
      await exited;
      await waitFor(
        'delivery by the surviving worker',
        async () => {
          await live.worker.runOnce();
          return (await live.service.getNotification(id))!.status === 'delivered';
        },
        10_000,
        100,
      );
      expect(receiver.requests.map((r) => r.id)).toEqual([id, id]);
      expect((await live.service.getNotification(id))!.attempt_count).toBe(2);
      expect((await live.service.listAttempts(id)).map((a) => [a.attempt, a.outcome])).toEqual([[2, 'delivered']]);
    } finally {
      await live.app.close();
      await build?.remove();
    }
  });
});
