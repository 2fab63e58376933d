import { Test, TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { MqEncodedBody } from '@app/mq';
import { OutboxModuleOptions } from '../outbox.options';
import { brokerUnavailableError, FakeMqProducer, InMemoryOutboxDatabase, inMemoryOutboxProviders, sendRefusedError } from '../testing';
import { OutboxRelay } from './outbox-relay';
import { MAX_BODY_WITH_COMMIT_BYTES, OutboxEntry, OutboxWriter } from './outbox-writer';

interface Harness {
  app: TestingModule;
  database: InMemoryOutboxDatabase;
  producer: FakeMqProducer;
  relay: OutboxRelay;
  registry: Registry;
  /** Enqueues the entries in one transaction that commits, or rolls back after writing them when `rollBack`. */
  enqueue(entries: OutboxEntry[], rollBack?: boolean): Promise<void>;
}

let open: Harness | undefined;

async function harness(relay: OutboxModuleOptions['relay'] = {}): Promise<Harness> {
  const database = new InMemoryOutboxDatabase();
  const producer = new FakeMqProducer();
  const registry = new Registry();
  const options: OutboxModuleOptions = {
    metrics: { registry },
    // Started by each test; short delays so a test waits milliseconds, not seconds.
    relay: { enabled: false, pollIntervalMs: 5, retryDelayMinMs: 20, retryDelayMaxMs: 1_000, leaseMs: 60_000, maxAttempts: 3, pruneIntervalMs: 0, ...relay },
  };
  const app = await Test.createTestingModule({ providers: [...inMemoryOutboxProviders({ database, producer, options }), OutboxRelay, OutboxWriter] }).compile();
  // The relay logs each refusal and outage through Nest's Logger; here they are the point.
  app.useLogger(false);
  const writer = app.get(OutboxWriter);
  const enqueue = (entries: OutboxEntry[], rollBack = false): Promise<void> =>
    database.runner
      .inTransaction(async () => {
        for (const entry of entries) await writer.enqueue(entry);
        if (rollBack) throw new Error('the business transaction rolled back');
      })
      .catch((error: unknown) => {
        if (!rollBack) throw error;
      });
  open = { app, database, producer, relay: app.get(OutboxRelay), registry, enqueue };
  return open;
}

afterEach(async () => {
  await open?.relay.stop();
  await open?.app.close();
  open = undefined;
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The first key of each message sent, in the order the broker accepted them. */
const sentKeys = (h: Harness): string[] => h.producer.sent.map((message) => message.options.keys?.[0] ?? '');
/** The indexes in the producer's calls of the sends of `key`, accepted or not. */
const callsOf = (h: Harness, key: string): number[] => h.producer.sendCalls.flatMap((call, index) => (call.options.keys?.[0] === key ? [index] : []));
const rowOf = (h: Harness, key: string) => h.database.store.outbox().find((row) => row.keys[0] === key)!;

async function relayed(h: Harness): Promise<Record<string, number>> {
  const metric = await h.registry.getSingleMetric('mq_outbox_relayed_total')!.get();
  return Object.fromEntries(metric.values.map((value) => [String(value.labels.result), value.value]));
}

describe('OutboxWriter.enqueueWithCommit (in memory)', () => {
  it('queues a small row for the COMMIT and inserts a body over the bound at once; both commit, a rollback drops the queued one, and the relay sends both', async () => {
    const h = await harness();
    const writer = h.app.get(OutboxWriter);
    const queued = jest.spyOn(h.database.runner, 'atCommit');
    const large = Buffer.alloc(MAX_BODY_WITH_COMMIT_BYTES + 1, 0x61);
    await h.database.runner.inTransaction(async () => {
      await writer.enqueueWithCommit({ topic: 'orders', body: Buffer.from('small'), keys: ['o-small'] });
      await writer.enqueueWithCommit({ topic: 'orders', body: large, keys: ['o-large'] });
    });
    await h.database.runner
      .inTransaction(async () => {
        await writer.enqueueWithCommit({ topic: 'orders', body: Buffer.from('never'), keys: ['o-rolled-back'] });
        throw new Error('the business transaction rolled back');
      })
      .catch(() => undefined);
    expect(queued).toHaveBeenCalledTimes(2);
    expect(h.database.store.outbox().map((row) => row.keys[0])).toEqual(['o-large', 'o-small']);
    // A message group's rows keep the order of the calls (their ids), whichever way each was enqueued.
    queued.mockClear();
    await h.database.runner.inTransaction(async () => {
      await writer.enqueueWithCommit({ topic: 'orders', body: Buffer.from('1'), keys: ['g-1'], messageGroup: 'g' });
      await writer.enqueue({ topic: 'orders', body: Buffer.from('2'), keys: ['g-2'], messageGroup: 'g' });
    });
    expect(queued).not.toHaveBeenCalled();
    expect(h.database.store.outbox().map((row) => row.keys[0])).toEqual(['o-large', 'o-small', 'g-1', 'g-2']);
    await expect(writer.enqueueWithCommit({ topic: 'orders', body: Buffer.from('x') })).rejects.toMatchObject({ code: 'OUTBOX_ERR_NO_TRANSACTION' });
    h.relay.start();
    await waitFor(() => h.producer.sent.length === 4, 'four sends');
    expect(sentKeys(h).filter((key) => key.startsWith('g-'))).toEqual(['g-1', 'g-2']);
  });
});

describe('OutboxWriter: options the send would refuse', () => {
  it.each([
    { what: 'an empty key', entry: { keys: ['o-1', ''] }, message: 'keys must be an array of non-empty strings' },
    { what: 'an empty message group', entry: { messageGroup: '' }, message: 'messageGroup must not be empty' },
    { what: 'a group with a delivery time', entry: { messageGroup: 'g', deliverAt: new Date() }, message: 'either FIFO (messageGroup) or delayed' },
  ])('refuses $what at enqueue with MQ_ERR_INVALID_OPTIONS, both ways, and writes nothing', async ({ entry, message }) => {
    const h = await harness();
    const writer = h.app.get(OutboxWriter);
    const paths: Array<(e: OutboxEntry) => Promise<unknown>> = [(e) => writer.enqueue(e), (e) => writer.enqueueWithCommit(e)];
    for (const enqueue of paths) {
      await expect(h.database.runner.inTransaction(() => enqueue({ topic: 'orders', payload: {}, ...entry }))).rejects.toMatchObject({
        code: 'MQ_ERR_INVALID_OPTIONS',
        message: expect.stringContaining(message),
      });
    }
    expect(h.database.store.outbox()).toEqual([]);
  });
});

describe('OutboxRelay (in memory): claim, send, mark', () => {
  it("sends each committed row's bytes with its options and marks it sent with the broker's message id", async () => {
    const h = await harness();
    await h.enqueue([
      { topic: 'orders', payload: { id: 1 }, tag: 'created', keys: ['o-1'], properties: { source: 'spec' } },
      { topic: 'orders', payload: { id: 2 }, keys: ['o-2'], messageGroup: 'customer-7' },
    ]);
    await h.enqueue([{ topic: 'orders', payload: { id: 3 }, keys: ['o-3'] }], true);
    h.relay.start();
    await waitFor(() => h.database.store.outbox().every((row) => row.status === 'sent'), 'both rows sent');

    expect(h.producer.sent).toEqual([
      expect.objectContaining({
        topic: 'orders',
        payload: expect.any(MqEncodedBody),
        options: expect.objectContaining({ tag: 'created', keys: ['o-1'], properties: { source: 'spec' } }),
      }),
      expect.objectContaining({ topic: 'orders', options: expect.objectContaining({ keys: ['o-2'], messageGroup: 'customer-7', properties: undefined }) }),
    ]);
    expect(h.producer.sent.map((message) => JSON.parse(message.body!.toString()) as unknown)).toEqual([{ id: 1 }, { id: 2 }]);
    expect((h.producer.sent[0].payload as MqEncodedBody).contentType).toBe('application/json');
    expect(h.database.store.outbox()).toEqual([
      expect.objectContaining({ keys: ['o-1'], status: 'sent', messageId: h.producer.sent[0].messageId, attempts: 1 }),
      expect.objectContaining({ keys: ['o-2'], status: 'sent', messageId: h.producer.sent[1].messageId, attempts: 1 }),
    ]);
    expect(await relayed(h)).toEqual({ sent: 2 });
  });

  it('wakes on the notification of a commit, without waiting for the poll interval', async () => {
    const h = await harness({ pollIntervalMs: 60_000 });
    h.relay.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await h.enqueue([{ topic: 'orders', payload: {}, keys: ['o-1'] }]);
    await waitFor(() => h.producer.sent.length === 1, 'the row sent', 2_000);
  });
});

describe('OutboxRelay (in memory): failures', () => {
  it('a broker that cannot be reached: the row stays pending, the attempt is not counted, and the relay backs off, doubling', async () => {
    const h = await harness();
    const attemptsAt: number[] = [];
    h.producer.failWhen('send', () => {
      attemptsAt.push(performance.now());
      return brokerUnavailableError('orders');
    });
    await h.enqueue([{ topic: 'orders', payload: {}, keys: ['o-1'] }]);
    h.relay.start();
    // More failures than maxAttempts (3): none of them may count.
    await waitFor(() => attemptsAt.length >= 4, 'four sends to an unreachable broker');
    expect(rowOf(h, 'o-1')).toMatchObject({ status: 'pending', lastError: expect.stringContaining('MQ_ERR_BROKER_UNAVAILABLE') });
    // retryDelayMinMs 20, doubling, jitter up to -20%; timers never fire early (1 ms for rounding).
    const gaps = attemptsAt.slice(1, 4).map((at, index) => at - attemptsAt[index]);
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(16 * 2 ** index - 1));

    h.producer.failWhen('send', undefined);
    await waitFor(() => rowOf(h, 'o-1').status === 'sent', 'the row sent once the broker is back');
    // Only the claim that reached the broker counted.
    expect(rowOf(h, 'o-1').attempts).toBe(1);
    expect(h.producer.sent).toHaveLength(1);
  });

  it('a row the broker refuses maxAttempts times becomes failed, and stops blocking its group', async () => {
    const h = await harness({ retryDelayMinMs: 1, retryDelayMaxMs: 5 });
    h.producer.failWhen('send', (call) => (call.options.keys?.[0] === 'bad' ? sendRefusedError('orders') : undefined));
    await h.enqueue([
      { topic: 'orders', payload: {}, keys: ['bad'], messageGroup: 'g' },
      { topic: 'orders', payload: {}, keys: ['next'], messageGroup: 'g' },
    ]);
    h.relay.start();
    await waitFor(() => rowOf(h, 'next').status === 'sent', 'the next row of the group sent');

    expect(rowOf(h, 'bad')).toMatchObject({ status: 'failed', attempts: 3, lastError: expect.stringContaining('MQ_ERR_SEND_FAILED') });
    expect(callsOf(h, 'bad')).toHaveLength(3);
    // The group's next row waited for the failed one.
    expect(callsOf(h, 'next')[0]).toBeGreaterThan(callsOf(h, 'bad')[2]);
    expect(await relayed(h)).toEqual({ sent: 1, failed: 1 });
  });
});

describe('OutboxRelay (in memory): message-group order', () => {
  it("sends a group's rows one after another in insertion order, a refused row holding the rest back; others go meanwhile", async () => {
    const h = await harness({ retryDelayMinMs: 1, retryDelayMaxMs: 5 });
    let refusals = 2;
    h.producer.failWhen('send', (call) => (call.options.keys?.[0] === 'a1' && refusals-- > 0 ? sendRefusedError('orders') : undefined));
    await h.enqueue([
      { topic: 'orders', payload: {}, keys: ['a1'], messageGroup: 'a' },
      { topic: 'orders', payload: {}, keys: ['b1'], messageGroup: 'b' },
      { topic: 'orders', payload: {}, keys: ['a2'], messageGroup: 'a' },
      { topic: 'orders', payload: {}, keys: ['solo'] },
      { topic: 'orders', payload: {}, keys: ['a3'], messageGroup: 'a' },
    ]);
    h.relay.start();
    await waitFor(() => h.database.store.outbox().every((row) => row.status === 'sent'), 'every row sent');

    expect(sentKeys(h).filter((key) => key.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    // a2 was first tried only after a1 was accepted (its third call), a3 after a2.
    expect(callsOf(h, 'a1')).toHaveLength(3);
    expect(callsOf(h, 'a2')[0]).toBeGreaterThan(callsOf(h, 'a1')[2]);
    expect(callsOf(h, 'a3')[0]).toBeGreaterThan(callsOf(h, 'a2')[0]);
    // The other group and the row without one did not wait for a1.
    expect(callsOf(h, 'b1')[0]).toBeLessThan(callsOf(h, 'a1')[2]);
    expect(callsOf(h, 'solo')[0]).toBeLessThan(callsOf(h, 'a1')[2]);
    expect(h.producer.sent).toHaveLength(5);
  });
});
