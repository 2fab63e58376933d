import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ScanPage } from '../store/commit-log-scanner';
import { MemoryMessageStore } from '../store/memory-message-store';
import { RecordType, StoredMessage } from '../store/message-record';
import { commitOf, okRecords } from '../store/message-store.test-support';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { encodeTransactionId } from './transaction-id';
import { TransactionService, TransactionServiceOptions } from './transaction-service';
import {
  FakeProducerChannels,
  PRODUCER_GROUP,
  QUEUE_ID,
  TOPIC,
  delivered,
  endRequest,
  expectedDelivery,
  halfInput,
  readAll,
  sendHalf,
} from './transaction.test-support';

const logger = pino({ level: 'silent' });

/** A store in which another layer appends right after open()'s last (empty) log scan. */
class AppendingAfterScanStore extends MemoryMessageStore {
  afterEmptyScan: (() => Promise<unknown>) | undefined;

  override async scan(fromOffset: number, maxRecords: number): Promise<ScanPage> {
    const page = await super.scan(fromOffset, maxRecords);
    const after = this.afterEmptyScan;
    if (page.messages.length === 0 && after) {
      this.afterEmptyScan = undefined;
      await after();
    }
    return page;
  }
}

describe('TransactionService: half messages, commit and rollback (memory store)', () => {
  let store: MemoryMessageStore;
  let stateDir: string;
  let channels: FakeProducerChannels;
  const services: TransactionService[] = [];

  async function openService(options: Partial<TransactionServiceOptions> = {}): Promise<TransactionService> {
    // No timers during a case: scans run when the case asks.
    const service = new TransactionService(store, channels, { stateDir, checkScanIntervalMs: 3_600_000, stateWriteIntervalMs: 3_600_000, ...options }, logger);
    services.push(service);
    await service.open();
    return service;
  }

  /** Every record of the log, all types, in order. */
  async function logRecords(): Promise<StoredMessage[]> {
    return (await store.scan(0, 100_000)).messages;
  }

  beforeEach(async () => {
    store = new MemoryMessageStore();
    await store.open();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'transaction-service-'));
    channels = new FakeProducerChannels();
  });

  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
    await store.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('stores a half message invisible to consumers and lists it as pending', async () => {
    const service = await openService();
    const message = halfInput('HALF-1');
    const sent = await sendHalf(service, message);
    // The message id, as Apache's broker hands it out (SendMessageProcessor: the message's unique id).
    expect(sent.transactionId).toBe('HALF-1');
    expect(await readAll(store)).toEqual([]);
    expect(store.getQueueBounds(TOPIC, QUEUE_ID)).toEqual({ minOffset: 0, maxOffset: 0 });
    const [record] = await logRecords();
    expect(record).toMatchObject({ type: RecordType.Prepared, offset: sent.offset, messageId: 'HALF-1', storeTimestampMs: sent.storeTimestampMs });
    expect(service.pendingCount()).toBe(1);
    expect(service.list()).toEqual([
      expect.objectContaining({
        transactionId: sent.transactionId,
        messageId: 'HALF-1',
        topic: TOPIC,
        queueId: QUEUE_ID,
        offset: sent.offset,
        size: record.size,
        state: 'pending',
        producerGroup: PRODUCER_GROUP,
        bornTimestampMs: message.bornTimestampMs,
        storeTimestampMs: sent.storeTimestampMs,
        checkCount: 0,
        nextCheckAtMs: sent.storeTimestampMs + 6_000,
      }),
    ]);
  });

  it('delivers a committed half message once, as it was sent, with an op record naming the half message', async () => {
    const service = await openService();
    const message = halfInput('HALF-C');
    const sent = await sendHalf(service, message);
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'))).toEqual({ status: 'ok', duplicate: false });

    const queue = await readAll(store);
    expect(queue.map(delivered)).toEqual([expectedDelivery(message)]);
    expect(queue[0].offset).toBe(sent.offset);
    expect(service.pendingCount()).toBe(0);
    expect(service.list()).toEqual([]);
    const [, op] = await logRecords();
    expect(op).toMatchObject({
      type: RecordType.Commit,
      topic: TOPIC,
      queueId: QUEUE_ID,
      messageId: 'HALF-C',
      tag: 'Paid',
      keys: message.keys,
      preparedOffset: sent.offset,
      properties: { __transactionId__: sent.transactionId, __TRANSACTION_SOURCE: 'client' },
    });
    expect(op.body.length).toBe(0);
  });

  it('never delivers a rolled-back half message and refuses a later COMMIT without changing anything', async () => {
    const service = await openService();
    const message = halfInput('HALF-R');
    const sent = await sendHalf(service, message);
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'ROLLBACK'))).toEqual({ status: 'ok', duplicate: false });
    const logEnd = store.getCommitLogBounds().maxOffset;

    const late = await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'server-check'));
    expect(late).toMatchObject({ status: 'conflict', state: 'rolled-back' });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'ROLLBACK'))).toEqual({ status: 'ok', duplicate: true });
    expect(await readAll(store)).toEqual([]);
    expect(store.getCommitLogBounds().maxOffset).toBe(logEnd);
    expect((await logRecords()).map((record) => record.type)).toEqual([RecordType.Prepared, RecordType.Rollback]);
  });

  it('answers a second COMMIT as a duplicate and a ROLLBACK after COMMIT as a conflict; delivered once', async () => {
    const service = await openService();
    const message = halfInput('HALF-D');
    const sent = await sendHalf(service, message);
    await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'));
    const logEnd = store.getCommitLogBounds().maxOffset;

    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'server-check'))).toEqual({ status: 'ok', duplicate: true });
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'ROLLBACK'))).toMatchObject({ status: 'conflict', state: 'committed' });
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-D']);
    expect(store.getCommitLogBounds().maxOffset).toBe(logEnd);
  });

  it('answers not-found for a garbled id, an id naming no record, and an id naming a normal message', async () => {
    const service = await openService();
    const message = halfInput('HALF-N');
    const sent = await sendHalf(service, message);
    const garbled = sent.transactionId.slice(0, -1) + (sent.transactionId.endsWith('0') ? '1' : '0');
    const normal = okRecords(await store.append({ ...halfInput('NORMAL-1'), type: RecordType.Normal }))[0];

    for (const transactionId of [
      '',
      'not-an-id',
      garbled,
      encodeTransactionId({ offset: 1_000_000, size: 300 }),
      encodeTransactionId(normal),
      encodeTransactionId({ offset: sent.offset, size: 0xffff_ffff }),
    ]) {
      expect(await service.endTransaction(endRequest(message, transactionId, 'COMMIT'))).toMatchObject({ status: 'not-found' });
    }
    expect(service.pendingCount()).toBe(1);
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['NORMAL-1']);
  });

  it('ends by the message id: a resent half message (one id, two records) oldest first; a check-back names the id; the old record ids still work', async () => {
    const service = await openService({ transactionTimeoutMs: 1 });
    channels.connect(TOPIC, 'producer-A');
    const message = halfInput('HALF-TWICE');
    const first = await sendHalf(service, message);
    const second = await sendHalf(service, message);
    expect([first.transactionId, second.transactionId]).toEqual(['HALF-TWICE', 'HALF-TWICE']);
    expect(service.list().map((view) => [view.transactionId, view.offset])).toEqual([
      ['HALF-TWICE', first.offset],
      ['HALF-TWICE', second.offset],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await service.runCheckBacks();
    expect(channels.sent.map((check) => check.transactionId)).toEqual(['HALF-TWICE', 'HALF-TWICE']);

    expect(await service.endTransaction(endRequest(message, 'HALF-TWICE', 'COMMIT'))).toEqual({ status: 'ok', duplicate: false });
    expect(service.list().map((view) => view.offset)).toEqual([second.offset]);
    expect(await service.endTransaction(endRequest(message, 'HALF-TWICE', 'ROLLBACK'))).toEqual({ status: 'ok', duplicate: false });
    expect(service.pendingCount()).toBe(0);
    // Both resolved: a repeat finds the last resolution made.
    expect(await service.endTransaction(endRequest(message, 'HALF-TWICE', 'ROLLBACK'))).toEqual({ status: 'ok', duplicate: true });
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-TWICE']);

    // A record id of the broker's own format (handed out before the message id was) ends a half message too.
    const legacy = halfInput('HALF-LEGACY');
    const legacySent = await sendHalf(service, legacy);
    expect(
      await service.endTransaction(endRequest(legacy, encodeTransactionId({ offset: legacySent.offset, size: (await logRecords()).at(-1)!.size }), 'COMMIT')),
    ).toEqual({
      status: 'ok',
      duplicate: false,
    });
  });

  it('finds a resolution it no longer holds in memory through the store, by the message id', async () => {
    const service = await openService({ maxResolvedTransactions: 1 });
    const old = halfInput('HALF-FORGOTTEN');
    await sendHalf(service, old);
    expect(await service.endTransaction(endRequest(old, 'HALF-FORGOTTEN', 'COMMIT'))).toEqual({ status: 'ok', duplicate: false });
    const newer = halfInput('HALF-NEWER');
    await sendHalf(service, newer);
    await service.endTransaction(endRequest(newer, 'HALF-NEWER', 'COMMIT'));
    // Its resolution left memory (maxResolvedTransactions 1): the store's message-id index finds
    // the half message, and the answer is what a record beyond the remembered ones gets.
    expect(await service.endTransaction(endRequest(old, 'HALF-FORGOTTEN', 'COMMIT'))).toMatchObject({
      status: 'not-found',
      reason: expect.stringContaining('no longer remembered'),
    });
    expect(await service.endTransaction(endRequest(old, 'NEVER-SENT', 'COMMIT'))).toMatchObject({
      status: 'not-found',
      reason: 'no half message for transaction "NEVER-SENT"',
    });
  });

  it('answers mismatch when the transaction id names another message or topic, and changes nothing', async () => {
    const service = await openService();
    const message = halfInput('HALF-M');
    const sent = await sendHalf(service, message);
    expect(await service.endTransaction(endRequest({ ...message, messageId: 'OTHER' }, sent.transactionId, 'COMMIT'))).toMatchObject({ status: 'mismatch' });
    expect(await service.endTransaction(endRequest({ ...message, topic: 'other-topic' }, sent.transactionId, 'ROLLBACK'))).toMatchObject({
      status: 'mismatch',
    });
    expect(service.pendingCount()).toBe(1);
    await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'));
    // Also once resolved: the id still names its own message only.
    expect(await service.endTransaction(endRequest({ ...message, messageId: 'OTHER' }, sent.transactionId, 'COMMIT'))).toMatchObject({ status: 'mismatch' });
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-M']);
  });

  it('lets exactly one of concurrent COMMITs append a Commit record', async () => {
    const service = await openService();
    const message = halfInput('HALF-RACE');
    const sent = await sendHalf(service, message);
    const results = await Promise.all([
      service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT')),
      service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'server-check')),
      service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT')),
    ]);
    expect(results.filter((r) => r.status === 'ok' && !r.duplicate)).toHaveLength(1);
    expect(results.filter((r) => r.status === 'ok' && r.duplicate)).toHaveLength(2);
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-RACE']);
    expect((await logRecords()).filter((r) => r.type === RecordType.Commit)).toHaveLength(1);
  });

  it('lets exactly one of a racing COMMIT and ROLLBACK win; the other is refused', async () => {
    const service = await openService();
    for (const order of [
      ['COMMIT', 'ROLLBACK'],
      ['ROLLBACK', 'COMMIT'],
    ] as const) {
      const message = halfInput(`HALF-${order[0]}`);
      const sent = await sendHalf(service, message);
      const results = await Promise.all(
        order.map((resolution, i) => service.endTransaction(endRequest(message, sent.transactionId, resolution, i === 0 ? 'client' : 'server-check'))),
      );
      expect(results[0]).toEqual({ status: 'ok', duplicate: false });
      expect(results[1]).toMatchObject({ status: 'conflict', state: order[0] === 'COMMIT' ? 'committed' : 'rolled-back' });
    }
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-COMMIT']);
    const ops = (await logRecords()).filter((r) => r.type === RecordType.Commit || r.type === RecordType.Rollback);
    expect(ops.map((r) => [r.messageId, r.type])).toEqual([
      ['HALF-COMMIT', RecordType.Commit],
      ['HALF-ROLLBACK', RecordType.Rollback],
    ]);
  });

  it('answers not-found, appending nothing, for a resolution older than it remembers', async () => {
    const service = await openService({ maxResolvedTransactions: 1 });
    const first = halfInput('HALF-OLD');
    const firstSent = await sendHalf(service, first);
    await service.endTransaction(endRequest(first, firstSent.transactionId, 'COMMIT'));
    const second = halfInput('HALF-NEW');
    const secondSent = await sendHalf(service, second);
    await service.endTransaction(endRequest(second, secondSent.transactionId, 'ROLLBACK'));
    const logEnd = store.getCommitLogBounds().maxOffset;

    expect(await service.endTransaction(endRequest(first, firstSent.transactionId, 'COMMIT'))).toMatchObject({
      status: 'not-found',
      reason: expect.stringContaining('no longer remembered'),
    });
    expect(await service.endTransaction(endRequest(first, firstSent.transactionId, 'ROLLBACK'))).toMatchObject({ status: 'not-found' });
    expect(await service.endTransaction(endRequest(second, secondSent.transactionId, 'COMMIT'))).toMatchObject({ status: 'conflict', state: 'rolled-back' });
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['HALF-OLD']);
    expect(store.getCommitLogBounds().maxOffset).toBe(logEnd);
  });

  it('reports store failures and refuses calls before open and after close', async () => {
    const before = new TransactionService(store, channels, { stateDir }, logger);
    expect(await before.sendHalfMessage(halfInput('EARLY'), {})).toEqual({ status: 'not-running', state: 'created' });
    expect(await before.endTransaction(endRequest(halfInput('EARLY'), 'X', 'COMMIT'))).toMatchObject({ status: 'not-running' });

    const service = await openService();
    expect(await service.sendHalfMessage(halfInput('SYS', { topic: TRANS_CHECK_MAX_TIME_TOPIC }), {})).toMatchObject({ status: 'invalid' });
    const message = halfInput('HALF-F');
    const sent = await sendHalf(service, message);
    await store.close();
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'))).toMatchObject({ status: 'not-running' });
    expect(service.pendingCount()).toBe(1);
    await service.close();
    expect(await service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'))).toMatchObject({ status: 'not-running' });
    expect(await service.sendHalfMessage(halfInput('LATE'), {})).toEqual({ status: 'not-running', state: 'closed' });
  });

  it('applies transaction records dispatched while open() catches up with the log', async () => {
    const appending = new AppendingAfterScanStore();
    store = appending;
    await store.open();
    const early = halfInput('EARLY');
    const earlyHalf = okRecords(await store.append({ ...early, type: RecordType.Prepared }))[0];
    appending.afterEmptyScan = async () => {
      await store.append(commitOf({ ...early, type: RecordType.Prepared }, earlyHalf, RecordType.Commit));
      await store.append({ ...halfInput('LATE'), type: RecordType.Prepared });
    };
    const service = await openService();
    expect(appending.afterEmptyScan).toBeUndefined();
    expect(service.list().map((view) => view.messageId)).toEqual(['LATE']);
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['EARLY']);
    expect(await service.endTransaction(endRequest(early, encodeTransactionId(earlyHalf), 'COMMIT'))).toEqual({ status: 'ok', duplicate: true });
  });

  it('forgets half messages retention deleted: unresolved ones are dropped, their ids answered not-found', async () => {
    store = new MemoryMessageStore({ segmentSizeBytes: 4096, fileReservedTimeHours: 1 });
    await store.open();
    const service = await openService();
    const [old, resolved] = [halfInput('OLD'), halfInput('RESOLVED')];
    const oldSent = await sendHalf(service, old);
    const resolvedSent = await sendHalf(service, resolved);
    await service.endTransaction(endRequest(resolved, resolvedSent.transactionId, 'ROLLBACK'));
    // Fill two more segments so the first one is no longer the active one.
    for (let i = 0; store.getCommitLogBounds().maxOffset < 2 * 4096; i++) {
      await store.append({ ...halfInput(`FILLER-${i}`, { topic: 'filler', body: Buffer.alloc(500) }), type: RecordType.Normal });
    }
    const young = halfInput('YOUNG');
    const youngSent = await sendHalf(service, young);
    expect(await store.deleteExpiredFiles(Date.now() + 2 * 3_600_000)).toBeGreaterThan(0);
    expect(store.getCommitLogBounds().minOffset).toBeGreaterThan(oldSent.offset);

    await service.runCheckBacks();
    expect(service.list().map((view) => view.messageId)).toEqual(['YOUNG']);
    expect(await service.endTransaction(endRequest(old, oldSent.transactionId, 'COMMIT'))).toMatchObject({ status: 'not-found' });
    expect(await service.endTransaction(endRequest(resolved, resolvedSent.transactionId, 'ROLLBACK'))).toMatchObject({ status: 'not-found' });
    expect(await service.endTransaction(endRequest(young, youngSent.transactionId, 'COMMIT'))).toEqual({ status: 'ok', duplicate: false });
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['YOUNG']);
  });
});
