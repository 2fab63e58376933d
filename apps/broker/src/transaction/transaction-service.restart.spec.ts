import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { FileMessageStore } from '../store/file-message-store';
import { FlushDiskType } from '../store/store-options';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { TransactionOpenReport, TransactionService } from './transaction-service';
import { TRANSACTION_STATE_FILE } from './transaction-state-file';
import { FakeProducerChannels, TOPIC, delivered, endRequest, expectedDelivery, halfInput, readAll, sendHalf } from './transaction.test-support';

/**
 * Restart tests (STYLE 7) with the file store: resolve some transactions, stop the broker
 * (cleanly, or by copying the store directory while it runs after a flush: a crash image, what a
 * SIGKILL leaves), reopen, and check what consumers see and what is still checked back.
 */
const logger = pino({ level: 'silent' });
const TIMEOUT_MS = 60_000;
const INTERVAL_MS = 120_000;
const FLUSH_MODES: readonly FlushDiskType[] = ['SYNC_FLUSH', 'ASYNC_FLUSH'];

interface Broker {
  store: FileMessageStore;
  service: TransactionService;
  opened: TransactionOpenReport;
}

describe.each(FLUSH_MODES)('TransactionService across restarts (FileMessageStore, %s)', (flushDiskType) => {
  const dirs: string[] = [];
  const running: Broker[] = [];
  let channels: FakeProducerChannels;
  let clock: { shiftMs: number };

  async function tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'transaction-restart-'));
    dirs.push(dir);
    return dir;
  }

  /** Opens store and service on `dir` (the state file lives in the store directory, as in the broker). */
  async function start(dir: string): Promise<Broker> {
    const store = new FileMessageStore({ dir, segmentSizeBytes: 64 * 1024, flushDiskType, checkpointIntervalMs: 600_000 }, logger);
    await store.open();
    const service = new TransactionService(
      store,
      channels,
      {
        stateDir: dir,
        now: () => Date.now() + clock.shiftMs,
        transactionTimeoutMs: TIMEOUT_MS,
        transactionCheckIntervalMs: INTERVAL_MS,
        transactionCheckMax: 5,
        // No timers: state is written at open, at close and when the case asks.
        checkScanIntervalMs: 3_600_000,
        stateWriteIntervalMs: 3_600_000,
      },
      logger,
    );
    const broker = { store, service, opened: await service.open() };
    running.push(broker);
    return broker;
  }

  async function stop(broker: Broker): Promise<void> {
    running.splice(running.indexOf(broker), 1);
    await broker.service.close();
    await broker.store.close();
  }

  /** What a SIGKILL right now leaves on disk: everything flushed, nothing closed. */
  async function crashImage(broker: Broker, dir: string): Promise<string> {
    await broker.store.flush();
    const image = await tempDir();
    await fs.cp(dir, image, { recursive: true });
    return image;
  }

  async function scanAt(service: TransactionService, shiftMs: number) {
    clock.shiftMs = shiftMs;
    return service.runCheckBacks();
  }

  const ids = (broker: Broker) => readAll(broker.store).then((messages) => messages.map((message) => message.messageId));
  const pendingIds = (broker: Broker) => broker.service.list().map((view) => `${view.messageId}:${view.state}:${view.checkCount}`);

  beforeEach(() => {
    channels = new FakeProducerChannels();
    channels.connect(TOPIC, 'producer-A');
    clock = { shiftMs: 0 };
  });

  afterEach(async () => {
    for (const broker of running.splice(0).reverse()) {
      await broker.service.close();
      await broker.store.close();
    }
    for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps pending half messages pending, invisible and checked, and committed ones delivered once, across clean restarts', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    expect(first.opened).toMatchObject({ source: 'log', scannedRecords: 0, pending: 0 });
    const [pending, committed, rolledBack, immune] = ['PENDING', 'COMMITTED', 'ROLLED-BACK', 'IMMUNE'].map((id) => halfInput(id));
    const tx = new Map<string, string>();
    for (const message of [pending, committed, rolledBack]) tx.set(message.messageId, (await sendHalf(first.service, message)).transactionId);
    tx.set('IMMUNE', (await sendHalf(first.service, immune, { producerGroup: TOPIC, checkImmunityMs: 3 * INTERVAL_MS })).transactionId);
    await first.service.endTransaction(endRequest(committed, tx.get('COMMITTED')!, 'COMMIT'));
    await first.service.endTransaction(endRequest(rolledBack, tx.get('ROLLED-BACK')!, 'ROLLBACK'));
    expect(await scanAt(first.service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 1 });
    await stop(first);

    const second = await start(dir);
    expect(second.opened).toMatchObject({ source: 'state-file', scannedRecords: 0, pending: 2, checkMax: 0 });
    expect(await ids(second)).toEqual(['COMMITTED']);
    expect(pendingIds(second)).toEqual(['PENDING:pending:1', 'IMMUNE:pending:0']);
    expect(await second.service.endTransaction(endRequest(committed, tx.get('COMMITTED')!, 'COMMIT'))).toEqual({ status: 'ok', duplicate: true });
    expect(await second.service.endTransaction(endRequest(rolledBack, tx.get('ROLLED-BACK')!, 'COMMIT'))).toMatchObject({
      status: 'conflict',
      state: 'rolled-back',
    });
    // Still checked back, on schedule: PENDING at its interval, IMMUNE after its immunity.
    expect(await scanAt(second.service, TIMEOUT_MS + INTERVAL_MS)).toMatchObject({ checksSent: 0 });
    expect(await scanAt(second.service, TIMEOUT_MS + INTERVAL_MS + 20_000)).toMatchObject({ checksSent: 1 });
    expect(await second.service.endTransaction(endRequest(pending, tx.get('PENDING')!, 'COMMIT', 'server-check'))).toEqual({ status: 'ok', duplicate: false });
    expect(await scanAt(second.service, 3 * INTERVAL_MS + 10_000)).toMatchObject({ checksSent: 1 });
    expect(channels.sent.map((check) => check.messageId)).toEqual(['PENDING', 'PENDING', 'IMMUNE']);
    await stop(second);

    const third = await start(dir);
    const delivered3 = await readAll(third.store);
    expect(delivered3.map(delivered)).toEqual([expectedDelivery(committed), expectedDelivery(pending)]);
    expect(pendingIds(third)).toEqual(['IMMUNE:pending:1']);
    expect(await third.service.endTransaction(endRequest(pending, tx.get('PENDING')!, 'ROLLBACK'))).toMatchObject({ status: 'conflict', state: 'committed' });
  });

  it('recovers from a crash image: the log rebuilds what the state file does not cover', async () => {
    const dir = await tempDir();
    const live = await start(dir);
    const [a, b, c, d, e] = ['A', 'B', 'C', 'D', 'E'].map((id) => halfInput(id));
    const tx = new Map<string, string>();
    for (const message of [a, b, c, d, e]) tx.set(message.messageId, (await sendHalf(live.service, message)).transactionId);
    await live.service.endTransaction(endRequest(b, tx.get('B')!, 'COMMIT'));
    expect(await scanAt(live.service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 4 });
    // Image 1: the state file is the one written at open (empty); everything comes from the log.
    const image1 = await crashImage(live, dir);

    expect(await live.service.saveState()).toBe(true);
    await live.service.endTransaction(endRequest(c, tx.get('C')!, 'ROLLBACK'));
    await live.service.endTransaction(endRequest(d, tx.get('D')!, 'COMMIT', 'server-check'));
    await sendHalf(live.service, halfInput('F'));
    // Image 2: the state file covers A..E, B committed and the checks; the log adds C, D and F.
    const image2 = await crashImage(live, dir);
    await stop(live);

    const recovered1 = await start(image1);
    expect(recovered1.opened).toMatchObject({ source: 'state-file', scannedRecords: 6, pending: 4 });
    expect(await ids(recovered1)).toEqual(['B']);
    // Check counts since the state file are lost (never more than transactionCheckMax is skipped).
    expect(pendingIds(recovered1)).toEqual(['A:pending:0', 'C:pending:0', 'D:pending:0', 'E:pending:0']);
    expect(await recovered1.service.endTransaction(endRequest(b, tx.get('B')!, 'COMMIT'))).toEqual({ status: 'ok', duplicate: true });
    expect(await scanAt(recovered1.service, TIMEOUT_MS + 10_000)).toMatchObject({ checksSent: 4 });
    await stop(recovered1);

    const recovered2 = await start(image2);
    expect(recovered2.opened).toMatchObject({ source: 'state-file', scannedRecords: 3, pending: 3 });
    expect(await ids(recovered2)).toEqual(['B', 'D']);
    expect(pendingIds(recovered2)).toEqual(['A:pending:1', 'E:pending:1', 'F:pending:0']);
    expect(await recovered2.service.endTransaction(endRequest(c, tx.get('C')!, 'COMMIT'))).toMatchObject({ status: 'conflict', state: 'rolled-back' });
    expect(await recovered2.service.endTransaction(endRequest(d, tx.get('D')!, 'COMMIT'))).toEqual({ status: 'ok', duplicate: true });
    expect(await recovered2.service.endTransaction(endRequest(a, tx.get('A')!, 'COMMIT'))).toEqual({ status: 'ok', duplicate: false });
    expect(await ids(recovered2)).toEqual(['B', 'D', 'A']);
    await stop(recovered2);

    // And once more from the recovered image: nothing delivered twice, nothing rolled back delivered.
    const again = await start(image2);
    expect(await ids(again)).toEqual(['B', 'D', 'A']);
    expect(pendingIds(again)).toEqual(['E:pending:1', 'F:pending:0']);
  });

  it('keeps the check-max state across a crash; an admin commit afterwards delivers once', async () => {
    const dir = await tempDir();
    const live = await start(dir);
    const message = halfInput('MAX');
    const sent = await sendHalf(live.service, message);
    let atMs = TIMEOUT_MS + 10_000;
    for (let check = 0; check < 5; check++, atMs += INTERVAL_MS + 10_000) await scanAt(live.service, atMs);
    expect(await scanAt(live.service, atMs)).toMatchObject({ movedToCheckMax: 1 });
    const image = await crashImage(live, dir);
    await stop(live);

    const recovered = await start(image);
    expect(recovered.opened).toMatchObject({ pending: 0, checkMax: 1 });
    expect(pendingIds(recovered)).toEqual(['MAX:check-max:5']);
    expect((await recovered.store.readQueue(TRANS_CHECK_MAX_TIME_TOPIC, 0, 0, 10)).map((m) => m.messageId)).toEqual(['MAX']);
    expect(await recovered.service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT'))).toMatchObject({ status: 'conflict', state: 'check-max' });
    expect(await recovered.service.endTransaction(endRequest(message, sent.transactionId, 'COMMIT', 'admin'))).toEqual({ status: 'ok', duplicate: false });
    await stop(recovered);

    const after = await start(image);
    expect(await ids(after)).toEqual(['MAX']);
    expect(after.service.list()).toEqual([]);
  });

  it('rebuilds from the whole log, with a warning, when the state file is corrupt or belongs to another log', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    const [kept, committed] = ['KEPT', 'COMMITTED'].map((id) => halfInput(id));
    const keptTx = (await sendHalf(first.service, kept)).transactionId;
    await first.service.endTransaction(endRequest(committed, (await sendHalf(first.service, committed)).transactionId, 'COMMIT'));
    await stop(first);
    const file = path.join(dir, TRANSACTION_STATE_FILE);
    const valid = await fs.readFile(file, 'utf8');

    await fs.writeFile(file, '{"version":1,"appliedOffset":-3');
    const corrupt = await start(dir);
    expect(corrupt.opened).toMatchObject({ source: 'log', rebuildReason: expect.stringContaining('invalid'), scannedRecords: 3, pending: 1 });
    expect(await ids(corrupt)).toEqual(['COMMITTED']);
    expect(pendingIds(corrupt)).toEqual(['KEPT:pending:0']);
    await stop(corrupt);
    // Rewritten at once: the next start uses it again.
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ version: 1, halves: [expect.objectContaining({ messageId: 'KEPT' })] });

    // A valid state file of a longer, different log (a store directory swapped under it).
    const other = await tempDir();
    const otherBroker = await start(other);
    for (let i = 0; i < 5; i++) await sendHalf(otherBroker.service, halfInput(`X${i}`, { body: Buffer.alloc(100 + i) }));
    await stop(otherBroker);
    expect(otherBroker.store.getCommitLogBounds().maxOffset).toBeGreaterThan(JSON.parse(valid).appliedOffset);
    await fs.writeFile(path.join(other, TRANSACTION_STATE_FILE), valid);
    const rebuilt = await start(other);
    expect(rebuilt.opened).toMatchObject({ source: 'log', rebuildReason: expect.stringContaining('not in the commit log'), pending: 5 });
    expect(pendingIds(rebuilt)).toEqual(['X0', 'X1', 'X2', 'X3', 'X4'].map((id) => `${id}:pending:0`));
    expect(await rebuilt.service.endTransaction(endRequest(kept, keptTx, 'COMMIT'))).toMatchObject({ status: expect.stringMatching(/not-found|mismatch/) });
  });

  it('rebuilds producer group and check immunity from the log after a crash', async () => {
    const dir = await tempDir();
    const live = await start(dir);
    const viaSetting = halfInput('VIA-SETTING');
    const viaProperty = halfInput('VIA-PROPERTY', { properties: { CHECK_IMMUNITY_TIME_IN_SECONDS: '400' } });
    const plain = halfInput('PLAIN');
    await sendHalf(live.service, viaSetting, { producerGroup: 'group-1', checkImmunityMs: 250_000 });
    await sendHalf(live.service, viaProperty, { producerGroup: 'group-2', checkImmunityMs: 400_000 });
    await sendHalf(live.service, plain, {});
    const before = live.service.list();
    const image = await crashImage(live, dir);

    const recovered = await start(image);
    expect(recovered.opened).toMatchObject({ scannedRecords: 3 });
    const after = recovered.service.list();
    const schedule = (views: typeof before) => views.map((view) => [view.messageId, view.producerGroup, view.nextCheckAtMs! - view.storeTimestampMs]);
    expect(schedule(after)).toEqual([
      ['VIA-SETTING', 'group-1', 250_000],
      ['VIA-PROPERTY', 'group-2', 400_000],
      ['PLAIN', undefined, TIMEOUT_MS],
    ]);
    expect(schedule(after)).toEqual(schedule(before));
    // The RocketMQ property stays as the producer sent it; nothing is added beside it.
    const [, propertyHalf] = (await recovered.store.scan(0, 10)).messages;
    expect(propertyHalf.properties).toEqual({ ...viaProperty.properties, TRAN_MSG: 'true', PGROUP: 'group-2' });
  });

  /** Appends `count` normal messages of ~1 KB; returns where each landed. */
  async function appendNormal(broker: Broker, count: number, prefix = 'N'): Promise<Array<{ offset: number; size: number }>> {
    const landed: Array<{ offset: number; size: number }> = [];
    for (let n = 0; n < count; n++) {
      const result = await broker.store.append({
        topic: 'plain',
        queueId: 0,
        messageId: `${prefix}${n}`,
        bornTimestampMs: Date.now(),
        body: Buffer.alloc(1_000, n),
      });
      if (result.status !== 'ok') throw new Error(result.status);
      landed.push(...result.records);
    }
    return landed;
  }

  /** Flips one byte of the commit log at a global offset (segments of 64 KiB, as start() opens them). */
  async function damage(dir: string, offset: number): Promise<void> {
    const segmentBytes = 64 * 1024;
    const base = offset - (offset % segmentBytes);
    const file = await fs.open(path.join(dir, 'commitlog', String(base).padStart(20, '0')), 'r+');
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, offset - base);
    byte[0] ^= 0xff;
    await file.write(byte, 0, 1, offset - base);
    await file.close();
  }

  it('keeps its applied offset when the traffic has no transactions, so a restart reads only the log written since', async () => {
    const dir = await tempDir();
    const first = await start(dir);
    await appendNormal(first, 200);
    await stop(first);
    const second = await start(dir);
    expect(second.opened).toMatchObject({ source: 'state-file', scannedRecords: 0 });
    await appendNormal(second, 10, 'M');
    const image = await crashImage(second, dir);
    // A crash reads at most what came after the last state write, not the whole log.
    const third = await start(image);
    expect(third.opened.scannedRecords).toBeLessThanOrEqual(10);
  });

  /**
   * 150 normal messages over three segments and a half message after them, stopped cleanly; then
   * one byte of message 20 (in segment 0) flipped at `at` and the state file removed, so the next
   * open reads the whole log, as after a lost state file. Returns the damaged record and the reopened broker.
   */
  async function reopenOverDamage(at: (victim: { offset: number; size: number }) => number) {
    const dir = await tempDir();
    const first = await start(dir);
    const landed = await appendNormal(first, 150);
    await sendHalf(first.service, halfInput('AFTER-DAMAGE'));
    await stop(first);
    const victim = landed[20];
    expect(victim.offset + victim.size).toBeLessThan(64 * 1024);
    await damage(dir, at(victim));
    await fs.rm(path.join(dir, TRANSACTION_STATE_FILE));
    return { victim, reopened: await start(dir) };
  }

  it('opens over a damaged record in an old segment, passing over it and reporting it, instead of scanning forever', async () => {
    // A byte of the body: the CRC fails.
    const { victim, reopened } = await reopenOverDamage((record) => record.offset + record.size - 10);
    expect(reopened.opened).toMatchObject({ source: 'log', damagedRanges: 1, pending: 1, scannedRecords: 150 });
    expect(pendingIds(reopened)).toEqual(['AFTER-DAMAGE:pending:0']);
    expect(reopened.store.damagedRecords()).toMatchObject({
      total: 1,
      recent: [{ offset: victim.offset, foundBy: 'scan', reason: expect.stringContaining('CRC') }],
    });
  }, 15_000);

  it('passes over a damaged size field in an old segment to the next record that verifies, reporting it', async () => {
    // The size field's top byte: the record now claims about 4 GB.
    const { victim, reopened } = await reopenOverDamage((record) => record.offset);
    // The scan finds the next record that verifies and goes on from there: only the victim is lost.
    expect(reopened.opened).toMatchObject({ source: 'log', damagedRanges: 1, pending: 1, scannedRecords: 150 });
    expect(reopened.store.damagedRecords().recent).toEqual([
      expect.objectContaining({ offset: victim.offset, reason: expect.stringContaining('runs past the end of its segment') }),
    ]);
  }, 15_000);
});
