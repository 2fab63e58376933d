import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { RecordType } from '../store/message-record';
import { MemoryMessageStore } from '../store/memory-message-store';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { TransactionService, TransactionServiceOptions } from './transaction-service';
import { EndTransactionResult } from './transaction.types';
import { FakeProducerChannels, TOPIC, endRequest, halfInput, readAll, sendHalf } from './transaction.test-support';

const logger = pino({ level: 'silent' });
const TIMEOUT_MS = 60_000;
const INTERVAL_MS = 120_000;
const CHECK_MAX = 3;

/** What a case saw, in one value per mode. */
type Outcome = Record<string, unknown>;

/** What a case does with a service; it returns what it saw. */
type Script = (context: { service: TransactionService; scanAt: (shiftMs: number) => ReturnType<TransactionService['runCheckBacks']> }) => Promise<Outcome>;

/** An EndTransaction answer in a few words: `ok`, `ok duplicate`, `conflict committed`, `not-found`. */
function answer(result: EndTransactionResult): string {
  if (result.status === 'ok') return result.duplicate ? 'ok duplicate' : 'ok';
  if (result.status === 'conflict') return `conflict ${result.state}`;
  return result.status;
}

/**
 * transactionExtensionsEnabled: each case runs the same script with the extensions on (the
 * default) and off (Apache RocketMQ's behaviour) and expects a different outcome in each mode,
 * so every case fails if the switch did nothing. Memory store; the service's clock is shifted
 * (as in transaction-service.check-back.spec.ts) to age half messages.
 */
describe('TransactionService: transactionExtensionsEnabled on and off (as Apache RocketMQ)', () => {
  let store: MemoryMessageStore;
  let stateDir: string;
  let channels: FakeProducerChannels;
  const services: TransactionService[] = [];

  beforeEach(async () => {
    store = new MemoryMessageStore();
    await store.open();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'transaction-extensions-'));
    channels = new FakeProducerChannels();
  });

  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
    await store.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  async function run(extensionsEnabled: boolean, script: Script, options: Partial<TransactionServiceOptions> = {}): Promise<Outcome> {
    const clock = { shiftMs: 0 };
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
        transactionExtensionsEnabled: extensionsEnabled,
        ...options,
      },
      logger,
    );
    services.push(service);
    await service.open();
    const scanAt = (shiftMs: number) => {
      clock.shiftMs = shiftMs;
      return service.runCheckBacks();
    };
    return script({ service, scanAt });
  }

  /** Message ids consumers of the topic can read, in order. */
  async function deliveries(): Promise<string[]> {
    return (await readAll(store)).map((message) => message.messageId);
  }

  /** Op records in the log, in order. */
  async function opRecords(): Promise<string[]> {
    const { messages } = await store.scan(0, 100_000);
    return messages.filter((m) => m.type === RecordType.Commit || m.type === RecordType.Rollback).map((m) => RecordType[m.type]);
  }

  /** Sends a half message, then the given resolutions one after another; their answers and what is delivered. */
  function resolveInTurn(...resolutions: Array<'COMMIT' | 'ROLLBACK'>): Script {
    return async ({ service }) => {
      const message = halfInput('HALF');
      const { transactionId } = await sendHalf(service, message);
      const answers: string[] = [];
      for (const resolution of resolutions) answers.push(answer(await service.endTransaction(endRequest(message, transactionId, resolution))));
      return { answers, delivered: await deliveries(), opRecords: await opRecords() };
    };
  }

  const cases: Array<{ name: string; script: Script; options?: Partial<TransactionServiceOptions>; on: Outcome; off: Outcome }> = [
    {
      name: 'a second COMMIT: a duplicate, delivered once / resolved again, delivered twice (EndTransactionProcessor.sendFinalMessage)',
      script: resolveInTurn('COMMIT', 'COMMIT'),
      on: { answers: ['ok', 'ok duplicate'], delivered: ['HALF'], opRecords: ['Commit'] },
      off: { answers: ['ok', 'ok'], delivered: ['HALF', 'HALF'], opRecords: ['Commit', 'Commit'] },
    },
    {
      name: 'ROLLBACK after COMMIT: refused / answered OK with another op record; delivered once either way',
      script: resolveInTurn('COMMIT', 'ROLLBACK'),
      on: { answers: ['ok', 'conflict committed'], delivered: ['HALF'], opRecords: ['Commit'] },
      off: { answers: ['ok', 'ok'], delivered: ['HALF'], opRecords: ['Commit', 'Rollback'] },
    },
    {
      name: 'COMMIT after ROLLBACK: refused, never delivered / applied, delivered',
      script: resolveInTurn('ROLLBACK', 'COMMIT'),
      on: { answers: ['ok', 'conflict rolled-back'], delivered: [], opRecords: ['Rollback'] },
      off: { answers: ['ok', 'ok'], delivered: ['HALF'], opRecords: ['Rollback', 'Commit'] },
    },
    {
      name: 'three racing COMMITs: exactly one appends / each appends and delivers',
      script: async ({ service }) => {
        const message = halfInput('HALF');
        const { transactionId } = await sendHalf(service, message);
        const results = await Promise.all([1, 2, 3].map(() => service.endTransaction(endRequest(message, transactionId, 'COMMIT'))));
        return { answers: results.map(answer).sort(), delivered: await deliveries() };
      },
      on: { answers: ['ok', 'ok duplicate', 'ok duplicate'], delivered: ['HALF'] },
      off: { answers: ['ok', 'ok', 'ok'], delivered: ['HALF', 'HALF', 'HALF'] },
    },
    {
      name: 'a repeat older than the remembered resolutions: not-found, nothing appended / resolved again',
      options: { maxResolvedTransactions: 1 },
      script: async ({ service }) => {
        const first = halfInput('HALF-1');
        const second = halfInput('HALF-2');
        const firstId = (await sendHalf(service, first)).transactionId;
        const secondId = (await sendHalf(service, second)).transactionId;
        await service.endTransaction(endRequest(first, firstId, 'COMMIT'));
        await service.endTransaction(endRequest(second, secondId, 'COMMIT'));
        return { repeat: answer(await service.endTransaction(endRequest(first, firstId, 'COMMIT'))), delivered: await deliveries() };
      },
      on: { repeat: 'not-found', delivered: ['HALF-1', 'HALF-2'] },
      off: { repeat: 'ok', delivered: ['HALF-1', 'HALF-2', 'HALF-1'] },
    },
    {
      name: "a client's COMMIT of a check-max half message: refused / delivered",
      options: { transactionCheckMax: 1 },
      script: async ({ service, scanAt }) => {
        channels.connect(TOPIC, 'producer-A');
        const message = halfInput('HALF');
        const { transactionId } = await sendHalf(service, message);
        await scanAt(TIMEOUT_MS + 10_000);
        const moved = (await scanAt(TIMEOUT_MS + INTERVAL_MS + 20_000)).movedToCheckMax;
        const commit = answer(await service.endTransaction(endRequest(message, transactionId, 'COMMIT', 'client')));
        return { moved, commit, delivered: await deliveries() };
      },
      on: { moved: 1, commit: 'conflict check-max', delivered: [] },
      off: { moved: 1, commit: 'ok', delivered: ['HALF'] },
    },
    {
      name: 'check-backs with no live producer: not counted, never moved / counted, moved to check-max (TransactionalMessageServiceImpl.needDiscard)',
      script: async ({ service, scanAt }) => {
        await sendHalf(service, halfInput('HALF'));
        const scans = [];
        for (let attempt = 0, atMs = TIMEOUT_MS + 10_000; attempt <= CHECK_MAX; attempt++, atMs += INTERVAL_MS + 10_000) scans.push(await scanAt(atMs));
        return {
          noProducer: scans.reduce((sum, scan) => sum + scan.noProducer, 0),
          movedToCheckMax: scans.reduce((sum, scan) => sum + scan.movedToCheckMax, 0),
          halves: service.list().map((view) => [view.state, view.checkCount]),
          checkMaxCopies: store.getQueueBounds(TRANS_CHECK_MAX_TIME_TOPIC, 0).maxOffset,
        };
      },
      on: { noProducer: CHECK_MAX + 1, movedToCheckMax: 0, halves: [['pending', 0]], checkMaxCopies: 0 },
      off: { noProducer: CHECK_MAX, movedToCheckMax: 1, halves: [['check-max', CHECK_MAX]], checkMaxCopies: 1 },
    },
    {
      name: 'a producer of the topic connecting: asked at once / asked at the next interval',
      script: async ({ service, scanAt }) => {
        await sendHalf(service, halfInput('HALF'));
        const atMs = TIMEOUT_MS + 10_000;
        await scanAt(atMs);
        channels.connect(TOPIC, 'producer-A');
        service.producerAvailable(TOPIC);
        const atOnce = (await scanAt(atMs)).checksSent;
        const atInterval = (await scanAt(atMs + INTERVAL_MS + 10_000)).checksSent;
        return { atOnce, atInterval, checkCount: service.list()[0].checkCount, sent: channels.sent.length };
      },
      // Both count two: on, the woken check and the next one; off, the unanswered first attempt and the next one.
      on: { atOnce: 1, atInterval: 1, checkCount: 2, sent: 2 },
      off: { atOnce: 0, atInterval: 1, checkCount: 2, sent: 1 },
    },
  ];

  it('has a different expected outcome in each mode for every case', () => {
    for (const { name, on, off } of cases) expect({ name, outcome: on }).not.toEqual({ name, outcome: off });
  });

  describe.each([
    ['on (default)', true, 'on'],
    ['off (Apache RocketMQ)', false, 'off'],
  ] as const)('extensions %s', (_label, enabled, mode) => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, { script, options, ...expected }) => {
      expect(await run(enabled, script, options)).toEqual(expected[mode]);
    });
  });

  it('is on by default', async () => {
    const service = new TransactionService(store, channels, { stateDir, checkScanIntervalMs: 3_600_000, stateWriteIntervalMs: 3_600_000 }, logger);
    services.push(service);
    await service.open();
    const message = halfInput('HALF');
    const { transactionId } = await sendHalf(service, message);
    await service.endTransaction(endRequest(message, transactionId, 'COMMIT'));
    expect(answer(await service.endTransaction(endRequest(message, transactionId, 'ROLLBACK')))).toBe('conflict committed');
  });
});
