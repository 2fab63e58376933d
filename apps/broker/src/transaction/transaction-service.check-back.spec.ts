import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { MemoryMessageStore } from '../store/memory-message-store';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { TransactionMetrics } from './transaction-metrics';
import { TransactionService, TransactionServiceOptions } from './transaction-service';
import { FakeProducerChannels, TOPIC, delivered, endRequest, expectedDelivery, halfInput, readAll, sendHalf } from './transaction.test-support';

const logger = pino({ level: 'silent' });
const TIMEOUT_MS = 60_000;
const INTERVAL_MS = 120_000;
const CHECK_MAX = 3;

/** A metric's value (for a label set), or a histogram's observation count. */
async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const histogramCount = name.endsWith('_count');
  const metric = registry.getSingleMetric(histogramCount ? name.slice(0, -'_count'.length) : name);
  const data = await metric?.get();
  const values: Array<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }> = data?.values ?? [];
  const value = values.find(
    (entry) => (!histogramCount || entry.metricName === name) && Object.entries(labels).every(([key, expected]) => entry.labels[key] === expected),
  );
  return value?.value;
}

/**
 * The check-back, with a clock the case moves: the store stamps records with the real time, the
 * service reads `Date.now() + shiftMs`, so moving `shiftMs` ages every half message at once.
 * Margins are tens of seconds, so real time passing during a case never matters.
 */
describe('TransactionService: check-back and check-max (memory store, shifted clock)', () => {
  let store: MemoryMessageStore;
  let stateDir: string;
  let channels: FakeProducerChannels;
  let clock: { shiftMs: number };
  let registry: Registry;
  const services: TransactionService[] = [];

  async function openService(options: Partial<TransactionServiceOptions> = {}): Promise<TransactionService> {
    const service = new TransactionService(
      store,
      channels,
      {
        stateDir,
        now: () => Date.now() + clock.shiftMs,
        transactionTimeoutMs: TIMEOUT_MS,
        transactionCheckIntervalMs: INTERVAL_MS,
        transactionCheckMax: CHECK_MAX,
        checkScanIntervalMs: 3_600_000,
        stateWriteIntervalMs: 3_600_000,
        ...options,
      },
      logger,
      new TransactionMetrics(registry),
    );
    services.push(service);
    await service.open();
    return service;
  }

  /** Moves the clock to `shiftMs` after the start and runs one scan. */
  async function scanAt(service: TransactionService, shiftMs: number) {
    clock.shiftMs = shiftMs;
    return service.runCheckBacks();
  }

  beforeEach(async () => {
    store = new MemoryMessageStore();
    await store.open();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'transaction-check-back-'));
    channels = new FakeProducerChannels();
    clock = { shiftMs: 0 };
    registry = new Registry();
  });

  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
    await store.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('checks back first after transactionTimeout, then every transactionCheckInterval, with the half message and its id', async () => {
    channels.connect(TOPIC, 'producer-A');
    const service = await openService();
    const message = halfInput('HALF-T');
    const sent = await sendHalf(service, message);

    expect(await scanAt(service, 0)).toMatchObject({ checksSent: 0 });
    expect(await scanAt(service, TIMEOUT_MS - 10_000)).toMatchObject({ checksSent: 0 });
    expect(await scanAt(service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 1 });
    const [check] = channels.sent;
    expect(check).toMatchObject({ clientId: 'producer-A', transactionId: sent.transactionId, messageId: 'HALF-T' });
    expect(delivered(check.half)).toEqual(expectedDelivery(message));

    expect(await scanAt(service, TIMEOUT_MS + 10_000 + INTERVAL_MS - 20_000)).toMatchObject({ checksSent: 0 });
    expect(await scanAt(service, TIMEOUT_MS + 10_000 + INTERVAL_MS + 10_000)).toMatchObject({ checksSent: 1 });
    expect(service.list()[0]).toMatchObject({ checkCount: 2, state: 'pending' });

    // Resolved by the producer's answer: no more checks.
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'server-check'))).toEqual({ status: 'ok', duplicate: false });
    expect(await scanAt(service, 10 * INTERVAL_MS)).toMatchObject({ checksSent: 0 });
    expect(channels.sent).toHaveLength(2);
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-T']);
  });

  it('waits for a longer check immunity before the first check-back', async () => {
    channels.connect(TOPIC, 'producer-A');
    const service = await openService();
    await sendHalf(service, halfInput('HALF-IMMUNE'), { producerGroup: TOPIC, checkImmunityMs: 100_000 });
    await sendHalf(service, halfInput('HALF-SHORT'), { producerGroup: TOPIC, checkImmunityMs: 1_000 });
    expect(await scanAt(service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 1 });
    expect(channels.sent.map((check) => check.messageId)).toEqual(['HALF-SHORT']);
    expect(await scanAt(service, 90_000)).toMatchObject({ checksSent: 0 });
    expect(await scanAt(service, 110_000)).toMatchObject({ checksSent: 1 });
    expect(channels.sent.map((check) => check.messageId)).toEqual(['HALF-SHORT', 'HALF-IMMUNE']);
  });

  it('does not count attempts while no producer of the topic is connected, and never moves such a message to check-max', async () => {
    const service = await openService();
    const message = halfInput('HALF-ORPHAN');
    const sent = await sendHalf(service, message);
    let atMs = TIMEOUT_MS + 10_000;
    for (let attempt = 0; attempt < 2 * CHECK_MAX; attempt++, atMs += INTERVAL_MS + 10_000) {
      expect(await scanAt(service, atMs)).toEqual({ checksSent: 0, noProducer: 1, movedToCheckMax: 0 });
    }
    expect(service.list()[0]).toMatchObject({ state: 'pending', checkCount: 0 });
    expect(store.getQueueBounds(TRANS_CHECK_MAX_TIME_TOPIC, 0).maxOffset).toBe(0);

    // A producer of another topic does not help; one of this topic is asked at once when it connects.
    channels.connect('other-topic', 'producer-B');
    service.producerAvailable('other-topic');
    expect(await scanAt(service, atMs)).toMatchObject({ checksSent: 0 });
    channels.connect(TOPIC, 'producer-A');
    service.producerAvailable(TOPIC);
    expect(await scanAt(service, atMs)).toMatchObject({ checksSent: 1 });
    expect(channels.sent).toEqual([expect.objectContaining({ clientId: 'producer-A', transactionId: sent.transactionId })]);
    expect(service.list()[0]).toMatchObject({ checkCount: 1 });
    expect(await metricValue(registry, 'rocketmq_broker_transaction_checks_sent_total')).toBe(1);
  });

  it('stops counting when the producer goes away, and does not count a check whose send threw', async () => {
    channels.connect(TOPIC, 'producer-A');
    const service = await openService();
    await sendHalf(service, halfInput('HALF-GONE'));
    expect(await scanAt(service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 1 });
    channels.disconnect(TOPIC, 'producer-A');
    expect(await scanAt(service, TIMEOUT_MS + 2 * INTERVAL_MS)).toMatchObject({ checksSent: 0, noProducer: 1 });
    channels.connect(TOPIC, 'producer-A');
    const sendCheck = jest.spyOn(channels, 'sendCheck').mockImplementationOnce(() => {
      throw new Error('stream closed');
    });
    expect(await scanAt(service, TIMEOUT_MS + 4 * INTERVAL_MS)).toMatchObject({ checksSent: 0, noProducer: 1 });
    sendCheck.mockRestore();
    expect(service.list()[0]).toMatchObject({ checkCount: 1, state: 'pending' });
  });

  it('spreads a backlog of due half messages over scans, at most maxChecksPerScan each', async () => {
    channels.connect(TOPIC, 'producer-A');
    channels.connect(TOPIC, 'producer-B');
    const service = await openService({ maxChecksPerScan: 2 });
    for (let i = 0; i < 5; i++) await sendHalf(service, halfInput(`HALF-${i}`));
    const counts = [];
    for (let scan = 0; scan < 4; scan++) counts.push((await scanAt(service, TIMEOUT_MS + 10_000)).checksSent);
    expect(counts).toEqual([2, 2, 1, 0]);
    // Oldest first, and the fake spreads them over both producers.
    expect(channels.sent.map((check) => check.messageId)).toEqual(['HALF-0', 'HALF-1', 'HALF-2', 'HALF-3', 'HALF-4']);
    expect(new Set(channels.sent.map((check) => check.clientId))).toEqual(new Set(['producer-A', 'producer-B']));
  });

  it('moves a half message to TRANS_CHECK_MAX_TIME_TOPIC after transactionCheckMax sent checks; only an admin commit delivers it, once', async () => {
    channels.connect(TOPIC, 'producer-A');
    const service = await openService();
    const message = halfInput('HALF-MAX');
    const sent = await sendHalf(service, message);
    let atMs = TIMEOUT_MS + 10_000;
    for (let check = 0; check < CHECK_MAX; check++, atMs += INTERVAL_MS + 10_000) {
      expect(await scanAt(service, atMs)).toEqual({ checksSent: 1, noProducer: 0, movedToCheckMax: 0 });
    }
    expect(await scanAt(service, atMs - 20_000)).toEqual({ checksSent: 0, noProducer: 0, movedToCheckMax: 0 });
    expect(await scanAt(service, atMs)).toEqual({ checksSent: 0, noProducer: 0, movedToCheckMax: 1 });

    const [copy] = await store.readQueue(TRANS_CHECK_MAX_TIME_TOPIC, 0, 0, 10);
    const original = expectedDelivery(message);
    expect(delivered(copy)).toEqual({
      ...original,
      topic: TRANS_CHECK_MAX_TIME_TOPIC,
      queueId: 0,
      properties: { ...(original.properties as object), REAL_TOPIC: TOPIC, REAL_QID: String(message.queueId), __transactionId__: sent.transactionId },
    });
    expect(service.list()).toEqual([
      expect.objectContaining({ transactionId: sent.transactionId, state: 'check-max', checkCount: CHECK_MAX, nextCheckAtMs: undefined }),
    ]);
    expect(service.pendingCount()).toBe(0);
    expect(await scanAt(service, atMs + 10 * INTERVAL_MS)).toEqual({ checksSent: 0, noProducer: 0, movedToCheckMax: 0 });
    expect(await readAll(store)).toEqual([]);

    for (const source of ['client', 'server-check'] as const) {
      for (const resolution of ['COMMIT', 'ROLLBACK'] as const) {
        expect(await service.endTransaction(endRequest(message, sent.transactionId, resolution, source))).toMatchObject({
          status: 'conflict',
          state: 'check-max',
        });
      }
    }
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'admin'))).toEqual({ status: 'ok', duplicate: false });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'admin'))).toEqual({ status: 'ok', duplicate: true });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'client'))).toEqual({ status: 'ok', duplicate: true });
    expect((await readAll(store)).map(delivered)).toEqual([original]);
    expect(service.list()).toEqual([]);
    expect(await metricValue(registry, 'rocketmq_broker_transaction_check_max_total')).toBe(1);
    expect(await metricValue(registry, 'rocketmq_broker_transactions_committed_total', { source: 'admin' })).toBe(1);
  });

  it('lets an admin discard a check-max half message; it is never delivered and a later COMMIT is refused', async () => {
    channels.connect(TOPIC, 'producer-A');
    const service = await openService({ transactionCheckMax: 1 });
    const message = halfInput('HALF-DISCARD');
    const sent = await sendHalf(service, message);
    await scanAt(service, TIMEOUT_MS + 10_000);
    expect(await scanAt(service, TIMEOUT_MS + INTERVAL_MS + 20_000)).toMatchObject({ movedToCheckMax: 1 });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'ROLLBACK', 'admin'))).toEqual({ status: 'ok', duplicate: false });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'admin'))).toMatchObject({
      status: 'conflict',
      state: 'rolled-back',
    });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'client'))).toMatchObject({
      status: 'conflict',
      state: 'rolled-back',
    });
    expect(await readAll(store)).toEqual([]);
    expect(service.list()).toEqual([]);
  });

  it('counts resolutions by source, check-backs, check-max moves, pending half messages and finish latency', async () => {
    channels.connect(TOPIC, 'producer-A');
    const service = await openService({ transactionCheckMax: 1 });
    const messages = ['M-CLIENT', 'M-CHECK', 'M-ROLLBACK', 'M-MAX', 'M-PENDING'].map((id) => halfInput(id));
    const ids = new Map<string, string>();
    for (const message of messages) ids.set(message.messageId, (await sendHalf(service, message)).transactionId);
    const end = (id: string, resolution: 'COMMIT' | 'ROLLBACK', source: 'client' | 'server-check' | 'admin') =>
      service.endTransaction(endRequest(halfInput(id), ids.get(id)!, resolution, source));
    expect(await metricValue(registry, 'rocketmq_broker_half_messages_pending')).toBe(5);

    await end('M-CLIENT', 'COMMIT', 'client');
    await end('M-CLIENT', 'COMMIT', 'client'); // a duplicate is not counted
    expect(await scanAt(service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 4 });
    await end('M-CHECK', 'COMMIT', 'server-check');
    await end('M-ROLLBACK', 'ROLLBACK', 'server-check');
    await end('M-PENDING', 'COMMIT', 'client');
    await sendHalf(service, halfInput('M-LATER'));
    // M-MAX used its one check: moved. M-LATER is due for its first.
    expect(await scanAt(service, TIMEOUT_MS + INTERVAL_MS + 20_000)).toEqual({ checksSent: 1, noProducer: 0, movedToCheckMax: 1 });

    expect(await metricValue(registry, 'rocketmq_broker_transactions_committed_total', { source: 'client' })).toBe(2);
    expect(await metricValue(registry, 'rocketmq_broker_transactions_committed_total', { source: 'server-check' })).toBe(1);
    expect(await metricValue(registry, 'rocketmq_broker_transactions_committed_total', { source: 'admin' })).toBe(0);
    expect(await metricValue(registry, 'rocketmq_broker_transactions_rolled_back_total', { source: 'server-check' })).toBe(1);
    expect(await metricValue(registry, 'rocketmq_broker_transactions_rolled_back_total', { source: 'client' })).toBe(0);
    expect(await metricValue(registry, 'rocketmq_broker_transaction_checks_sent_total')).toBe(5);
    expect(await metricValue(registry, 'rocketmq_broker_transaction_check_max_total')).toBe(1);
    expect(await metricValue(registry, 'rocketmq_broker_half_messages_pending')).toBe(1);
    expect(await metricValue(registry, 'rocketmq_broker_half_messages_check_max')).toBe(1);
    expect(await metricValue(registry, 'rocketmq_broker_transaction_finish_seconds_count')).toBe(4);
    const text = await registry.metrics();
    expect(text).toContain('rocketmq_broker_transactions_committed_total{source="server-check"} 1');
    expect(text).toMatch(/rocketmq_broker_transaction_finish_seconds_bucket\{le="\+Inf"\} 4/);
  });

  it('keeps registries apart: two services in one process count separately', async () => {
    const other = new Registry();
    const first = await openService();
    const second = new TransactionService(
      store,
      channels,
      { stateDir: path.join(stateDir, 'second'), checkScanIntervalMs: 3_600_000, stateWriteIntervalMs: 3_600_000 },
      logger,
      new TransactionMetrics(other),
    );
    services.push(second);
    await second.open();
    const message = halfInput('HALF-SHARED');
    const sent = await sendHalf(first, message);
    await first.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'));
    expect(await metricValue(registry, 'rocketmq_broker_transactions_committed_total', { source: 'client' })).toBe(1);
    expect(await metricValue(other, 'rocketmq_broker_transactions_committed_total', { source: 'client' })).toBe(0);
    expect(new TransactionMetrics().registry).not.toBe(new TransactionMetrics().registry);
  });
});
