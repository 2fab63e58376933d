import * as path from 'node:path';
import { Logger } from 'pino';
import { AppendPipeline } from './append-pipeline';
import { makeDirectoryDurable, readFileIfExists, writeFileAtomic } from './atomic-file';
import { Checkpoint } from './checkpoint';
import { ScanPage, scanCommitLog } from './commit-log-scanner';
import { DamagedRecord, DamagedRecords } from './damaged-records';
import { DiskUsageGuard } from './disk-usage-guard';
import { CommitLog } from './commit-log';
import { ConsumeQueue } from './consume-queue';
import { ConsumeQueueTable } from './consume-queue-table';
import { Dispatcher } from './dispatcher';
import { MessageIndex } from './message-index';
import { MessageInput, QueueEntry, StoredMessage } from './message-record';
import { AppendResult, DispatchListener, MessageStore, QueueBounds, RecoveryReport, StoreState } from './message-store';
import { StoreLatencyObserver } from './store-latency-observer';
import { readStoreTimestamp } from './record-codec';
import { LogReader } from './log-reader';
import { keyHash, messageIdHash } from './segment-index';
import { StoreOptions } from './store-options';
import { STORE_DEFAULTS } from './store.defaults';
import { StoreOpenError } from './store.errors';
import { StoreFileSystem, nodeFileSystem } from './store-file-system';
import { lockStoreDirectory, unlockStoreDirectory } from './store-lock';
import { StoreRecovery } from './store-recovery';
import { StoreWriteFailure } from './store-write-failure';

export { LOCK_FILE } from './store-lock';
/** Written by close() after the final checkpoint; its presence at open means a clean stop. */
export const CLEAN_SHUTDOWN_MARKER = 'clean-shutdown';

/**
 * The durable store: commit log + consume queues + id/key index + checkpoint, after Apache
 * RocketMQ's design (docs/architecture.md, "The store").
 */
export class FileMessageStore implements MessageStore {
  private readonly options: StoreOptions;
  private readonly log: CommitLog;
  private readonly queues: ConsumeQueueTable;
  private readonly index: MessageIndex;
  private readonly dispatcher: Dispatcher;
  private readonly checkpointFile: Checkpoint;
  private readonly damage: DamagedRecords;
  private readonly writeFailure: StoreWriteFailure;
  private readonly diskUsage: DiskUsageGuard;
  private readonly reader: LogReader;
  private pipeline: AppendPipeline | undefined;
  private latencyObserver: StoreLatencyObserver | undefined;
  private currentState = StoreState.Created;
  private timers: NodeJS.Timeout[] = [];
  /** Checkpoints, flushes and retention run one at a time. */
  private maintenance: Promise<unknown> = Promise.resolve();

  constructor(
    options: Partial<Omit<StoreOptions, 'dir'>> & { dir: string },
    private readonly logger: Logger,
    /** Every file operation goes through this; tests pass a simulated disk (simulated-disk.test-support.ts). */
    private readonly fileSystem: StoreFileSystem = nodeFileSystem,
  ) {
    this.options = { ...STORE_DEFAULTS, ...options };
    const dir = this.options.dir;
    this.log = new CommitLog(path.join(dir, 'commitlog'), this.options.segmentSizeBytes, this.options.tailCacheBytes, fileSystem);
    this.queues = new ConsumeQueueTable(path.join(dir, 'consumequeue'), this.options.consumeQueueEntriesPerFile, fileSystem);
    this.index = new MessageIndex(path.join(dir, 'index'), fileSystem);
    this.dispatcher = new Dispatcher(this.queues, this.index, (error, record) =>
      this.logger.error({ err: error, offset: record.offset, topic: record.topic }, 'dispatch listener failed'),
    );
    this.checkpointFile = new Checkpoint(dir, fileSystem);
    this.damage = new DamagedRecords(logger);
    this.writeFailure = new StoreWriteFailure(logger);
    this.diskUsage = new DiskUsageGuard(this.options, logger);
    this.reader = new LogReader(this.log, this.options.segmentSizeBytes, this.damage);
  }

  get state(): StoreState {
    if (this.currentState === StoreState.Running && (this.writeFailure.current !== undefined || this.diskUsage.full)) return StoreState.Failed;
    return this.currentState;
  }

  onDispatch(listener: DispatchListener): void {
    this.dispatcher.addListener(listener);
  }

  observeLatency(observer: StoreLatencyObserver): void {
    this.latencyObserver = observer;
    this.log.latencyObserver = observer;
    if (this.pipeline) this.pipeline.latencyObserver = observer;
  }

  dispatchBacklogBytes(): number {
    return this.pipeline?.undispatchedBytes ?? 0;
  }

  /** Opens the store; if recovery fails (e.g. corruption), releases files and lock and rethrows. */
  async open(): Promise<RecoveryReport> {
    if (this.currentState !== StoreState.Created) throw new StoreOpenError(`store cannot be opened in state ${this.currentState}`);
    this.currentState = StoreState.Loading;
    await makeDirectoryDurable(this.options.dir, this.fileSystem);
    await lockStoreDirectory(this.options.dir, this.fileSystem);
    try {
      return await this.loadAndRecover();
    } catch (error) {
      await this.log.close().catch(() => undefined);
      await unlockStoreDirectory(this.options.dir, this.fileSystem).catch(() => undefined);
      this.currentState = StoreState.Closed;
      throw error;
    }
  }

  private async loadAndRecover(): Promise<RecoveryReport> {
    const startedAtMs = Date.now();
    await this.log.load();
    const markerFile = path.join(this.options.dir, CLEAN_SHUTDOWN_MARKER);
    const clean = (await readFileIfExists(markerFile, this.fileSystem)) !== undefined;
    this.currentState = StoreState.Recovering;
    const recovery = new StoreRecovery(this.log, this.queues, this.index, this.dispatcher, this.options.repair, this.logger);
    const checkpoint = await recovery.checkFiles(await this.checkpointFile.read(), this.checkpointFile.file);
    let report: RecoveryReport;
    if (this.log.all.length === 0 && !checkpoint) {
      report = await recovery.recoverAfterCrash(undefined, startedAtMs);
      report.mode = 'new';
    } else if (clean) {
      report = await recovery.recoverAfterCleanShutdown(checkpoint, startedAtMs);
    } else {
      report = await recovery.recoverAfterCrash(checkpoint, startedAtMs);
    }
    // From here on an unclean stop must be detected: the marker goes before any append.
    await this.fileSystem.removeFile(markerFile);
    await this.fileSystem.syncDirectory(this.options.dir);
    await this.checkpoint();
    const maxRecordSize = Math.min(this.options.maxMessageSizeBytes, this.options.segmentSizeBytes - 8);
    this.pipeline = new AppendPipeline(this.log, this.queues, this.dispatcher, this.options.flushDiskType, maxRecordSize, this.writeFailure);
    this.pipeline.latencyObserver = this.latencyObserver;
    // A broker started on a nearly full disk refuses appends from the first one.
    await this.checkDiskUsage();
    this.startTimers();
    this.currentState = StoreState.Running;
    return report;
  }

  async close(): Promise<void> {
    if (this.currentState !== StoreState.Running) return;
    this.currentState = StoreState.ShuttingDown;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.pipeline?.whenIdle();
    await this.maintenance.catch(() => undefined);
    if (this.writeFailure.current === undefined) {
      try {
        await this.exclusive(() => this.checkpoint());
        await writeFileAtomic(path.join(this.options.dir, CLEAN_SHUTDOWN_MARKER), new Date().toISOString(), this.fileSystem);
      } catch (error) {
        // Without the marker the next open recovers as after a crash, from the log: nothing is lost.
        this.logger.error({ err: error }, 'the final checkpoint failed; the next start recovers from the commit log');
      }
    }
    await this.log.close().catch((error: Error) => this.logger.warn({ err: error }, 'closing the commit log failed'));
    await unlockStoreDirectory(this.options.dir, this.fileSystem).catch((error: Error) => this.logger.warn({ err: error }, 'removing the lock file failed'));
    this.currentState = StoreState.Closed;
  }

  append(messages: MessageInput | readonly MessageInput[]): Promise<AppendResult> {
    if (this.currentState !== StoreState.Running || !this.pipeline) {
      return Promise.resolve({ status: 'not-running', state: this.currentState });
    }
    if (this.diskUsage.full) return Promise.resolve({ status: 'store-failed', reason: this.diskUsage.reason, diskFull: true });
    return this.pipeline.append(Array.isArray(messages) ? messages : [messages as MessageInput]);
  }

  /** Syncs everything written; a failure makes the store refuse appends until retryWrites() has written and synced it again. */
  async flush(): Promise<void> {
    await this.pipeline?.whenIdle();
    await this.exclusive(async () => {
      try {
        await this.log.flush(this.log.fileEndOffset);
      } catch (error) {
        this.writeFailure.record(error, 'flushing the commit log');
        throw error;
      }
    });
  }

  readMessage(offset: number, size?: number): Promise<StoredMessage | undefined> {
    return this.reader.readMessage(offset, size);
  }

  async scan(fromOffset: number, maxRecords: number): Promise<ScanPage> {
    const page = await scanCommitLog(this.log, fromOffset, this.dispatcher.dispatchedOffset, maxRecords);
    for (const range of page.damaged) {
      this.damage.report(
        { offset: range.offset, file: range.file, fileOffset: range.fileOffset, reason: range.reason, foundBy: 'scan' },
        { skippedBytes: range.skippedBytes },
      );
    }
    return page;
  }

  damagedRecords(): { total: number; recent: DamagedRecord[] } {
    return { total: this.damage.total, recent: this.damage.recent() };
  }

  getQueueEntries(topic: string, queueId: number, fromOffset: number, maxCount: number): QueueEntry[] {
    return this.queues.get(topic, queueId)?.getEntries(fromOffset, maxCount) ?? [];
  }

  async readQueue(topic: string, queueId: number, fromOffset: number, maxCount: number): Promise<StoredMessage[]> {
    const entries = this.getQueueEntries(topic, queueId, fromOffset, maxCount);
    const read = await this.readEntries(entries);
    const messages: StoredMessage[] = [];
    // Missing: retention removed it (the queue's min offset catches up on its next run), or it is
    // damaged, which readEntries has reported.
    for (const message of read) if (message) messages.push(message);
    return messages;
  }

  readEntries(entries: readonly QueueEntry[]): Promise<Array<StoredMessage | undefined>> {
    return this.reader.readEntries(entries);
  }

  getQueueBounds(topic: string, queueId: number): QueueBounds {
    const queue = this.queues.get(topic, queueId);
    return queue ? { minOffset: queue.minOffset, maxOffset: queue.maxOffset } : { minOffset: 0, maxOffset: 0 };
  }

  listQueues(): Array<[string, number]> {
    return [...this.queues.all()].map((q) => [q.topic, q.queueId]);
  }

  async findQueueOffsetByTime(topic: string, queueId: number, timestampMs: number): Promise<number> {
    const queue = this.queues.get(topic, queueId);
    if (!queue) return 0;
    // Binary search on store time, reading 40 header bytes per probe.
    let low = queue.minOffset;
    let high = queue.maxOffset;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const head = await this.reader.safeRead(queue.entryAt(mid).commitLogOffset, 40);
      const storedAt = head && head.length >= 40 ? readStoreTimestamp(head, 0) : Number.POSITIVE_INFINITY;
      if (storedAt < timestampMs) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  async queryByMessageId(messageId: string): Promise<StoredMessage[]> {
    const found: StoredMessage[] = [];
    for (const offset of this.index.lookup(messageIdHash(messageId))) {
      const message = await this.reader.readKnownRecord(offset, undefined, { messageId });
      if (message && message.messageId === messageId) found.push(message);
    }
    return found;
  }

  async queryByKey(topic: string, key: string, maxCount: number): Promise<StoredMessage[]> {
    const found: StoredMessage[] = [];
    for (const offset of this.index.lookup(keyHash(topic, key))) {
      if (found.length >= maxCount) break;
      const message = await this.reader.readKnownRecord(offset, undefined, { topic, key });
      if (message && message.topic === topic && message.keys.includes(key)) found.push(message);
    }
    return found;
  }

  async deleteExpiredFiles(nowMs: number = Date.now()): Promise<number> {
    return this.exclusive(async () => {
      const cutoff = nowMs - this.options.fileReservedTimeHours * 3_600_000;
      const deleted = await this.log.deleteSegmentsOlderThan(cutoff);
      if (deleted.length === 0) return 0;
      await this.index.dropBefore(deleted);
      for (const queue of this.queues.all()) queue.advanceMinOffset(this.log.minOffset);
      // The checkpoint records the queues' new min offsets before their old files go: open checks
      // that every file from a queue's min offset on is present, and would take a file deleted
      // under an older checkpoint for damage. If it fails (a full disk), the files stay until a
      // later run; they cost little next to the segments just deleted.
      const recorded = await this.unlessFailed(() => this.checkpoint(), 'checkpointing');
      if (recorded) for (const queue of this.queues.all()) await queue.deleteFilesBelowMin();
      this.logger.info({ segments: deleted, minOffset: this.log.minOffset }, 'retention deleted expired commit-log segments');
      return deleted.length;
    });
  }

  getCommitLogBounds(): { minOffset: number; maxOffset: number } {
    return { minOffset: this.log.minOffset, maxOffset: this.dispatcher.dispatchedOffset };
  }

  /** Syncs the log, persists projections up to what was dispatched, then records the checkpoint. */
  private async checkpoint(): Promise<void> {
    const dispatchedOffset = this.dispatcher.dispatchedOffset;
    const queueCounts: Array<[ConsumeQueue, number, number]> = [...this.queues.all()].map((q) => [q, q.maxOffset, q.minOffset]);
    const indexCounts = this.index.snapshotCounts();
    await this.log.flush(this.log.fileEndOffset);
    for (const [queue, count] of queueCounts) await queue.persist(count);
    await this.index.persist(indexCounts);
    await this.checkpointFile.write({
      logFlushedOffset: this.log.flushedOffset,
      dispatchedOffset,
      consumeQueues: queueCounts.map(([queue, count, minOffset]) => queue.checkpointEntry(count, minOffset)),
      indexes: this.index.checkpointEntries(),
      writtenAtMs: Date.now(),
    });
  }

  private startTimers(): void {
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => {
        void this.exclusive(task).catch((error: Error) => this.logger.error({ err: error }, `${what} failed`));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    if (this.options.flushDiskType === 'ASYNC_FLUSH') {
      every(this.options.flushIntervalMs, () => this.unlessFailed(() => this.log.flush(this.log.fileEndOffset), 'flushing the commit log'), 'commit log flush');
    }
    every(this.options.checkpointIntervalMs, () => this.unlessFailed(() => this.checkpoint(), 'checkpointing'), 'checkpoint');
    every(this.options.writeRetryIntervalMs, () => this.retryWrites(), 'write retry');
    const diskCheck = setInterval(() => {
      void this.checkDiskUsage().catch((error: Error) => this.logger.warn({ err: error }, 'reading the disk usage failed'));
    }, this.options.diskCheckIntervalMs);
    diskCheck.unref();
    this.timers.push(diskCheck);
    const retention = setInterval(() => {
      void this.deleteExpiredFiles().catch((error: Error) => this.logger.error({ err: error }, 'retention failed'));
    }, this.options.retentionCheckIntervalMs);
    retention.unref();
    this.timers.push(retention);
  }

  /**
   * Reads the partition's usage against the disk ceilings (disk-usage-guard.ts): past
   * diskMaxUsedSpaceRatio expired segments are deleted now rather than at the next retention run;
   * at diskSpaceWarningLevelRatio appends are refused until usage falls below
   * diskSpaceCleanForciblyRatio.
   */
  private async checkDiskUsage(): Promise<void> {
    const check = this.diskUsage.update(await this.fileSystem.space(this.options.dir));
    if (check.cleanNow) await this.deleteExpiredFiles();
  }

  /**
   * Runs a periodic write unless writes are failing (retryWrites() then owns the files), and
   * resolves whether it ran and succeeded; a failure makes the store refuse appends, as Apache RocketMQ does when it cannot write a
   * consume queue or index (RunningFlags.makeLogicsQueueError).
   */
  private async unlessFailed(task: () => Promise<void>, operation: string): Promise<boolean> {
    if (this.writeFailure.current) return false;
    try {
      await task();
      return true;
    } catch (error) {
      this.writeFailure.record(error, operation);
      return false;
    }
  }

  /**
   * While writes are failing: once no append is in flight, cut the log back to what was
   * acknowledged, sync it, and checkpoint. If all of that works the disk takes writes again and
   * appends resume; otherwise the store keeps refusing them and tries again next interval.
   */
  private async retryWrites(): Promise<void> {
    if (!this.writeFailure.current || !this.pipeline || this.currentState !== StoreState.Running) return;
    await this.pipeline.whenIdle();
    try {
      await this.pipeline.rewind();
      await this.checkpoint();
    } catch (error) {
      this.logger.debug({ err: error }, 'store writes still failing');
      return;
    }
    this.writeFailure.clear();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(task, task);
    this.maintenance = run.catch(() => undefined);
    return run;
  }
}
