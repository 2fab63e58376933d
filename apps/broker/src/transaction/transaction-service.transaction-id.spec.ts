import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { FileMessageStore } from '../store/file-message-store';
import { MemoryMessageStore } from '../store/memory-message-store';
import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { okRecords } from '../store/message-store.test-support';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { encodeTransactionId } from './transaction-id';
import { checkMaxRecords, halfMessageRecord, opRecord, TRANSACTION_ID_PROPERTY } from './transaction-records';
import { TransactionService, TransactionServiceOptions } from './transaction-service';
import { EndTransactionResult } from './transaction.types';
import { FakeProducerChannels, PRODUCER_GROUP, TOPIC, endRequest, halfInput, readAll, sendHalf } from './transaction.test-support';

const logger = pino({ level: 'silent' });

/** A store whose message-id index cannot be read while `failing` is set. */
class UnsearchableStore extends MemoryMessageStore {
  failing = false;

  override async queryByMessageId(messageId: string): Promise<StoredMessage[]> {
    if (this.failing) throw new Error('EIO: index unreadable');
    return super.queryByMessageId(messageId);
  }
}

/** An EndTransaction answer in a few words: `ok`, `ok duplicate`, `conflict committed`, `mismatch`. */
function answer(result: EndTransactionResult): string {
  if (result.status === 'ok') return result.duplicate ? 'ok duplicate' : 'ok';
  if (result.status === 'conflict') return `conflict ${result.state}`;
  return result.status;
}

/**
 * The transaction id is the message id (Apache's), looked up within the request's topic (Apache's
 * producer group in v2). What a resent half message (one id, two records), one id in two topics,
 * and a store written when ids were the broker's own record ids do.
 */
describe('TransactionService: transaction ids are message ids', () => {
  const services: TransactionService[] = [];
  const stores: MessageStore[] = [];
  const dirs: string[] = [];
  let channels: FakeProducerChannels;

  async function tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transaction-id-'));
    dirs.push(dir);
    return dir;
  }

  async function open(store: MessageStore, stateDir: string, options: Partial<TransactionServiceOptions> = {}): Promise<TransactionService> {
    const service = new TransactionService(store, channels, { stateDir, checkScanIntervalMs: 3_600_000, stateWriteIntervalMs: 3_600_000, ...options }, logger);
    services.push(service);
    await service.open();
    return service;
  }

  async function memoryService(options: Partial<TransactionServiceOptions> = {}): Promise<{ store: UnsearchableStore; service: TransactionService }> {
    const store = new UnsearchableStore();
    await store.open();
    stores.push(store);
    return { store, service: await open(store, await tempDir(), options) };
  }

  beforeEach(() => {
    channels = new FakeProducerChannels();
  });

  afterEach(async () => {
    for (const service of services.splice(0).reverse()) await service.close();
    for (const store of stores.splice(0).reverse()) await store.close();
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  it('ends a resent half message (one id, two records) oldest first, also when the EndTransactions race; then answers repeats', async () => {
    const { store, service } = await memoryService();
    const message = halfInput('RESENT');
    const first = await sendHalf(service, message);
    const second = await sendHalf(service, message);
    expect([first.transactionId, second.transactionId]).toEqual(['RESENT', 'RESENT']);
    const racing = await Promise.all([
      service.endTransaction(endRequest(message, 'RESENT', 'COMMIT')),
      service.endTransaction(endRequest(message, 'RESENT', 'COMMIT', 'server-check')),
    ]);
    // As two calls one after the other: each ended one record, none was taken twice.
    expect(racing.map(answer)).toEqual(['ok', 'ok']);
    expect(service.list()).toEqual([]);
    expect((await readAll(store)).map((m) => m.offset)).toEqual([first.offset, second.offset]);
    expect(answer(await service.endTransaction(endRequest(message, 'RESENT', 'COMMIT')))).toBe('ok duplicate');
    expect(answer(await service.endTransaction(endRequest(message, 'RESENT', 'ROLLBACK')))).toBe('conflict committed');
    expect(await readAll(store)).toHaveLength(2);
  });

  it('keeps one message id in two topics apart; an id known only in another topic is a mismatch', async () => {
    const { store, service } = await memoryService();
    const payment = halfInput('SAME-ID');
    const order = halfInput('SAME-ID', { topic: 'orders' });
    await sendHalf(service, payment);
    await sendHalf(service, order);
    // The second topic's call ends its own record, though the first topic's is older and pending.
    expect(answer(await service.endTransaction(endRequest(order, 'SAME-ID', 'ROLLBACK')))).toBe('ok');
    expect(service.list().map((view) => [view.transactionId, view.topic])).toEqual([['SAME-ID', TOPIC]]);
    expect(answer(await service.endTransaction(endRequest(payment, 'SAME-ID', 'COMMIT')))).toBe('ok');
    expect(answer(await service.endTransaction(endRequest(order, 'SAME-ID', 'ROLLBACK')))).toBe('ok duplicate');
    expect((await readAll(store)).map((m) => m.messageId)).toEqual(['SAME-ID']);
    expect(await readAll(store, 'orders')).toEqual([]);

    const elsewhere = halfInput('ONLY-IN-PAYMENTS');
    await sendHalf(service, elsewhere);
    expect(await service.endTransaction(endRequest({ ...elsewhere, topic: 'refunds' }, 'ONLY-IN-PAYMENTS', 'COMMIT'))).toMatchObject({
      status: 'mismatch',
      reason: expect.stringContaining(`of topic ${TOPIC}, not to message ONLY-IN-PAYMENTS of topic refunds`),
    });
    expect(service.pendingCount()).toBe(1);
  });

  it('checks a resent half message back once per record under the one id; an operator’s check now takes the oldest pending', async () => {
    const { service } = await memoryService({ transactionTimeoutMs: 1 });
    channels.connect(TOPIC, 'producer-A');
    const message = halfInput('CHECKED');
    const [first] = [await sendHalf(service, message), await sendHalf(service, message)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await service.runCheckBacks()).toMatchObject({ checksSent: 2 });
    expect(channels.sent.map((check) => [check.transactionId, check.half.offset])).toEqual([
      ['CHECKED', first.offset],
      ['CHECKED', expect.any(Number)],
    ]);
    expect(await service.checkNow('CHECKED')).toMatchObject({ status: 'sent', messageId: 'CHECKED' });
    expect(channels.sent.at(-1)?.half.offset).toBe(first.offset);
    expect(await service.checkNow('NEVER-SENT')).toEqual({ status: 'not-found', reason: 'no half message for transaction "NEVER-SENT"' });
  });

  it('with the transaction extensions off, a repeat by message id applies again to the newest record (as Apache, which looks up no state)', async () => {
    const { store, service } = await memoryService({ transactionExtensionsEnabled: false });
    const message = halfInput('AGAIN');
    const [, second] = [await sendHalf(service, message), await sendHalf(service, message)];
    for (let call = 0; call < 3; call++) expect(answer(await service.endTransaction(endRequest(message, 'AGAIN', 'COMMIT')))).toBe('ok');
    const delivered = await readAll(store);
    expect(delivered.map((m) => m.offset).slice(2)).toEqual([second.offset]);
    expect(delivered).toHaveLength(3);
  });

  it('answers a repeat the store cannot look up as store-failed, not as an unknown transaction', async () => {
    const { store, service } = await memoryService();
    const message = halfInput('LOOKUP');
    await sendHalf(service, message);
    store.failing = true;
    // Unresolved: found in memory, the store's index is not asked.
    expect(answer(await service.endTransaction(endRequest(message, 'LOOKUP', 'COMMIT')))).toBe('ok');
    expect(await service.endTransaction(endRequest(message, 'LOOKUP', 'COMMIT'))).toEqual({
      status: 'store-failed',
      reason: 'looking up transaction "LOOKUP" failed',
    });
    store.failing = false;
    expect(answer(await service.endTransaction(endRequest(message, 'LOOKUP', 'COMMIT')))).toBe('ok duplicate');
  });

  describe('a store written when transaction ids were the broker’s own record ids', () => {
    /** Appends `records` and answers where each landed. */
    async function append(store: MessageStore, records: MessageInput | MessageInput[]) {
      return okRecords(await store.append(records));
    }

    /**
     * What an earlier release left on disk: half messages, op records and a check-max batch
     * whose `__transactionId__` is the broker's record id (transaction-id.ts), written without a
     * transaction service so the service first rebuilds from the log.
     */
    async function writeOldLog(store: MessageStore) {
      const details = { producerGroup: PRODUCER_GROUP, bornTimestampMs: Date.now(), checkImmunityMs: 0 };
      const halves = new Map<string, { offset: number; size: number; legacyId: string }>();
      for (const id of ['OLD-PENDING', 'OLD-COMMITTED', 'OLD-ROLLED-BACK', 'OLD-CHECK-MAX']) {
        const [record] = await append(store, halfMessageRecord(halfInput(id), details));
        halves.set(id, { offset: record.offset, size: record.size, legacyId: encodeTransactionId(record) });
      }
      const stored = async (id: string) => (await store.readMessage(halves.get(id)!.offset, halves.get(id)!.size))!;
      await append(store, opRecord(await stored('OLD-COMMITTED'), RecordType.Commit, halves.get('OLD-COMMITTED')!.legacyId, 'client', Date.now()));
      await append(store, opRecord(await stored('OLD-ROLLED-BACK'), RecordType.Rollback, halves.get('OLD-ROLLED-BACK')!.legacyId, 'client', Date.now()));
      await append(store, checkMaxRecords(await stored('OLD-CHECK-MAX'), halves.get('OLD-CHECK-MAX')!.legacyId, 5, Date.now()));
      return halves;
    }

    async function fileStore(dir: string): Promise<FileMessageStore> {
      const store = new FileMessageStore({ dir, segmentSizeBytes: 64 * 1024, flushDiskType: 'SYNC_FLUSH', checkpointIntervalMs: 600_000 }, logger);
      await store.open();
      stores.push(store);
      return store;
    }

    async function stop(store: MessageStore, service: TransactionService): Promise<void> {
      await service.close();
      await store.close();
      services.splice(services.indexOf(service), 1);
      stores.splice(stores.indexOf(store), 1);
    }

    it('recovers it, lists its half messages under their message ids, and ends them by message id or by the old id, across restarts', async () => {
      const dir = await tempDir();
      const oldStore = await fileStore(dir);
      const halves = await writeOldLog(oldStore);
      const oldCommit = (await oldStore.scan(0, 100)).messages.find((record) => record.type === RecordType.Commit);
      expect(oldCommit?.properties[TRANSACTION_ID_PROPERTY]).toMatch(/^[0-9A-F]{34}$/);
      await oldStore.close();
      stores.splice(stores.indexOf(oldStore), 1);

      const store = await fileStore(dir);
      const service = await open(store, dir);
      expect(service.list().map((view) => [view.transactionId, view.state])).toEqual([
        ['OLD-PENDING', 'pending'],
        ['OLD-CHECK-MAX', 'check-max'],
      ]);
      expect((await readAll(store)).map((m) => m.messageId)).toEqual(['OLD-COMMITTED']);
      const end = async (id: string, transactionId: string, resolution: 'COMMIT' | 'ROLLBACK', source: 'client' | 'admin' = 'client') =>
        answer(await service.endTransaction(endRequest(halfInput(id), transactionId, resolution, source)));
      expect(await end('OLD-COMMITTED', 'OLD-COMMITTED', 'COMMIT')).toBe('ok duplicate');
      expect(await end('OLD-COMMITTED', halves.get('OLD-COMMITTED')!.legacyId, 'ROLLBACK')).toBe('conflict committed');
      expect(await end('OLD-ROLLED-BACK', 'OLD-ROLLED-BACK', 'COMMIT')).toBe('conflict rolled-back');
      expect(await end('OLD-CHECK-MAX', 'OLD-CHECK-MAX', 'COMMIT')).toBe('conflict check-max');
      expect(await end('OLD-PENDING', halves.get('OLD-PENDING')!.legacyId, 'COMMIT')).toBe('ok');
      await stop(store, service);

      // Again from the state file, which holds no message id for a resolution: the store's
      // message-id index finds each half message.
      const reopened = await fileStore(dir);
      const again = await open(reopened, dir);
      const endAgain = async (id: string, resolution: 'COMMIT' | 'ROLLBACK', source: 'client' | 'admin' = 'client') =>
        answer(await again.endTransaction(endRequest(halfInput(id), id, resolution, source)));
      expect(await endAgain('OLD-PENDING', 'COMMIT')).toBe('ok duplicate');
      expect(await endAgain('OLD-COMMITTED', 'COMMIT')).toBe('ok duplicate');
      expect(await endAgain('OLD-ROLLED-BACK', 'ROLLBACK')).toBe('ok duplicate');
      expect(await endAgain('OLD-CHECK-MAX', 'ROLLBACK', 'admin')).toBe('ok');
      expect(again.list()).toEqual([]);
      expect((await readAll(reopened)).map((m) => m.messageId)).toEqual(['OLD-COMMITTED', 'OLD-PENDING']);
      expect((await reopened.readQueue(TRANS_CHECK_MAX_TIME_TOPIC, 0, 0, 10)).map((m) => m.messageId)).toEqual(['OLD-CHECK-MAX']);
    });

    it('answers a repeat after a restart by the newest record of a resent id, as before the restart', async () => {
      const dir = await tempDir();
      const store = await fileStore(dir);
      const service = await open(store, dir);
      const message = halfInput('RESENT-BEFORE-RESTART');
      await sendHalf(service, message);
      await sendHalf(service, message);
      const end = async (on: TransactionService, resolution: 'COMMIT' | 'ROLLBACK') =>
        answer(await on.endTransaction(endRequest(message, 'RESENT-BEFORE-RESTART', resolution)));
      expect([await end(service, 'COMMIT'), await end(service, 'ROLLBACK')]).toEqual(['ok', 'ok']);
      expect([await end(service, 'ROLLBACK'), await end(service, 'COMMIT')]).toEqual(['ok duplicate', 'conflict rolled-back']);
      await stop(store, service);

      const again = await open(await fileStore(dir), dir);
      expect([await end(again, 'ROLLBACK'), await end(again, 'COMMIT')]).toEqual(['ok duplicate', 'conflict rolled-back']);
    });
  });
});
