import { Inject, Injectable, INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Producer } from 'rocketmq-client-nodejs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { OfficialClients } from '@app/testkit';
import { MqConsumer, MqMessage, MqModule } from '@app/mq';

/**
 * How @MqConsumer runners share and order work: FIFO order per message group under concurrency
 * 8, consumers of one group sharing a topic while other groups each get everything, and a
 * graceful shutdown with handlers in flight (they finish and are acked; the rest is delivered
 * after a restart; nothing acked is seen again).
 */

const INSTANCE = 'TEST_INSTANCE';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Seen {
  instance: string;
  handler: string;
  message: MqMessage<{ n: number }>;
}
const seen: Seen[] = [];

/** FIFO bookkeeping: handlers running per message group (must never exceed 1) and overall. */
const running = { perGroup: new Map<string, number>(), total: 0, maxTotal: 0, maxPerGroup: 0 };

@Injectable()
class FifoHandlers {
  @MqConsumer({ topic: 'steps', group: 'step-runner', fifo: true, concurrency: 8 })
  async onStep(message: MqMessage<{ n: number }>): Promise<void> {
    const group = message.messageGroup!;
    running.perGroup.set(group, (running.perGroup.get(group) ?? 0) + 1);
    running.total++;
    running.maxTotal = Math.max(running.maxTotal, running.total);
    running.maxPerGroup = Math.max(running.maxPerGroup, running.perGroup.get(group)!);
    await sleep(Math.random() * 10);
    seen.push({ instance: 'fifo', handler: 'step', message });
    running.perGroup.set(group, running.perGroup.get(group)! - 1);
    running.total--;
  }
}

@Injectable()
class SharingHandlers {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @MqConsumer({ topic: 'events', group: 'shared-group', concurrency: 4 })
  async onShared(message: MqMessage<{ n: number }>): Promise<void> {
    await sleep(5);
    seen.push({ instance: this.instance, handler: 'shared', message });
  }

  @MqConsumer({ topic: 'events', group: `audit-group`, concurrency: 4 })
  async onAudit(message: MqMessage<{ n: number }>): Promise<void> {
    seen.push({ instance: this.instance, handler: 'audit', message });
  }
}

/** Slow handlers; `started`/`finished` show what shutdown let finish. */
const slow = { started: new Set<string>(), finished: new Set<string>(), finishedPerRun: [] as string[][] };

@Injectable()
class SlowHandlers {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @MqConsumer({ topic: 'jobs', group: 'job-runner', concurrency: 4, invisibleDurationMs: 2_000 })
  async onJob(message: MqMessage<{ n: number }>): Promise<void> {
    slow.started.add(message.messageId);
    await sleep(300);
    slow.finished.add(message.messageId);
    seen.push({ instance: this.instance, handler: 'job', message });
  }
}

/** Handlers of a consumer wider than one receive batch (two receives in flight): how many ran at once. */
const bulk = { running: 0, maxRunning: 0, ids: [] as string[] };

@Injectable()
class BulkHandlers {
  @MqConsumer({ topic: 'bulk', group: 'bulk-runner', concurrency: 40 })
  async onBulk(message: MqMessage<{ n: number }>): Promise<void> {
    bulk.running++;
    bulk.maxRunning = Math.max(bulk.maxRunning, bulk.running);
    await sleep(20);
    bulk.ids.push(message.messageId);
    bulk.running--;
  }
}

/** Handlers slower than their invisible duration: how often each message was run. */
const slowRuns = new Map<string, number>();
const slowFinished = new Set<string>();

@Injectable()
class OutlivingHandlers {
  @MqConsumer({ topic: 'long-jobs', group: 'long-runner', invisibleDurationMs: 2_000 })
  async onLongJob(message: MqMessage<{ n: number }>): Promise<void> {
    slowRuns.set(message.messageId, (slowRuns.get(message.messageId) ?? 0) + 1);
    await sleep(5_000);
    slowFinished.add(message.messageId);
  }
}

describe('@MqConsumer delivery', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    broker = await startTestBroker(
      {},
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
      },
    );
    await broker.broker.topics.upsert({ name: 'steps', messageType: 'FIFO', readQueueNums: 4, writeQueueNums: 4 });
    await broker.broker.topics.upsertGroup({ group: 'step-runner', fifo: true, maxDeliveryAttempts: 16 });
    await broker.broker.topics.upsert({ name: 'events', readQueueNums: 4, writeQueueNums: 4 });
    await broker.broker.topics.upsert({ name: 'jobs', readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: 'bulk', readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: 'long-jobs', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  async function startApp(instance: string, handlers: new (...args: never[]) => object): Promise<INestApplicationContext> {
    @Module({
      imports: [
        MqModule.forRoot({
          endpoints: broker.grpcEndpoint,
          logger: false,
          consumers: { retryDelaysMs: [200], longPollingTimeoutMs: 500, shutdownTimeoutMs: 5_000 },
        }),
      ],
      providers: [handlers, { provide: INSTANCE, useValue: instance }],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = await moduleRef.init();
    apps.push(app);
    return app;
  }

  async function stopApp(app: INestApplicationContext): Promise<void> {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }

  async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(20);
    }
  }

  const send = (topic: string, n: number, messageGroup?: string) => producer.send({ topic, messageGroup, body: Buffer.from(JSON.stringify({ n })) });

  it('keeps several receives in flight for a wide consumer, never running more handlers than its concurrency', async () => {
    const sent = new Set<string>();
    for (let n = 0; n < 150; n++) sent.add((await send('bulk', n)).messageId);
    const app = await startApp('bulk', BulkHandlers);
    await eventually(() => bulk.ids.length >= 150);
    await stopApp(app);
    expect(new Set(bulk.ids)).toEqual(sent);
    expect(bulk.ids).toHaveLength(150);
    expect(bulk.maxRunning).toBeLessThanOrEqual(40);
  });

  it('keeps a message invisible while its handler outlives the invisible duration: run once, then acked', async () => {
    const sent = [(await send('long-jobs', 1)).messageId, (await send('long-jobs', 2)).messageId];
    const app = await startApp('long', OutlivingHandlers);
    // 5 s handlers against a 2 s invisible duration: without renewal each would run again
    // (redelivered from 2 s on, to this same consumer).
    await eventually(() => sent.every((id) => slowFinished.has(id)), 15_000);
    await sleep(2_000);
    const progress = broker.broker.delivery.progress('long-runner');
    await stopApp(app);
    expect(sent.map((id) => slowRuns.get(id))).toEqual([1, 1]);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((row) => row.inFlight === 0 && row.lag === 0)).toBe(true);
  }, 30_000);

  it('keeps each message group in order, one message at a time per group, under concurrency 8', async () => {
    const app = await startApp('fifo', FifoHandlers);
    const groups = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'];
    const PER_GROUP = 20;
    await Promise.all(
      groups.map(async (group) => {
        for (let n = 0; n < PER_GROUP; n++) await send('steps', n, group);
      }),
    );
    await eventually(() => seen.filter((s) => s.handler === 'step').length >= groups.length * PER_GROUP, 20_000);
    for (const group of groups) {
      const order = seen.filter((s) => s.handler === 'step' && s.message.messageGroup === group).map((s) => s.message.payload.n);
      expect(order).toEqual([...Array(PER_GROUP).keys()]);
    }
    expect(running.maxPerGroup).toBe(1);
    expect(running.maxTotal).toBeGreaterThan(1);
    await stopApp(app);
  }, 25_000);

  it('shares a topic between the consumers of one group, and gives every group all of it', async () => {
    const appA = await startApp('a', SharingHandlers);
    const appB = await startApp('b', SharingHandlers);
    const COUNT = 60;
    for (let n = 0; n < COUNT; n++) await send('events', n);
    await eventually(() => seen.filter((s) => s.handler === 'shared').length >= COUNT && seen.filter((s) => s.handler === 'audit').length >= COUNT);
    await sleep(300);
    const shared = seen.filter((s) => s.handler === 'shared');
    const audit = seen.filter((s) => s.handler === 'audit');
    expect(new Set(shared.map((s) => s.message.payload.n)).size).toBe(COUNT);
    expect(shared).toHaveLength(COUNT);
    expect(new Set(audit.map((s) => s.message.payload.n)).size).toBe(COUNT);
    expect(audit).toHaveLength(COUNT);
    expect(new Set(shared.map((s) => s.instance))).toEqual(new Set(['a', 'b']));
    await Promise.all([stopApp(appA), stopApp(appB)]);
  });

  it('lets handlers in flight finish and acks them on shutdown; the rest comes after a restart, nothing acked comes twice', async () => {
    const first = await startApp('first', SlowHandlers);
    const COUNT = 24;
    const ids = new Set<string>();
    for (let n = 0; n < COUNT; n++) ids.add((await send('jobs', n)).messageId);
    await eventually(() => slow.finished.size >= 4);
    await stopApp(first);
    // Every handler that started before shutdown finished.
    expect([...slow.started].filter((id) => !slow.finished.has(id))).toEqual([]);
    const firstRun = new Set(seen.filter((s) => s.instance === 'first').map((s) => s.message.messageId));
    expect(firstRun.size).toBeGreaterThan(0);
    expect(firstRun.size).toBeLessThan(COUNT);

    await startApp('second', SlowHandlers);
    await eventually(() => new Set(seen.filter((s) => s.handler === 'job').map((s) => s.message.messageId)).size >= COUNT, 15_000);
    const secondRun = seen.filter((s) => s.instance === 'second').map((s) => s.message.messageId);
    expect(new Set([...firstRun, ...secondRun])).toEqual(ids);
    // Acked in the first run -> never delivered again.
    expect(secondRun.filter((id) => firstRun.has(id))).toEqual([]);
    await eventually(() => broker.broker.delivery.progress('job-runner').every((row) => row.inFlight === 0 && row.lag === 0));
  }, 25_000);
});
