import { TraceSink } from '../trace/trace-events';
import { LifecycleState } from '../lifecycle-state';
import { performance } from 'node:perf_hooks';
import { Logger } from 'pino';
import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { DispatchedRecord, MessageStore, StoreState } from '../store/message-store';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { CheckBackScanner, CheckBackScanResult } from './check-back-scanner';
import { HalfMessageTable, HalfRecordFacts } from './half-message-table';
import { decodeTransactionId } from './transaction-id';
import { TransactionMetrics } from './transaction-metrics';
import { HalfMessageDetails, TransactionRecordFacts, checkCountOf, halfMessageDetailsOf, halfMessageRecord, opKindOf } from './transaction-records';
import { TransactionResolver } from './transaction-resolver';
import { TransactionStateDocument, TransactionStateFile } from './transaction-state-file';
import { TRANSACTION_DEFAULTS, TransactionSettings, checkTransactionSettings } from './transaction.defaults';
import {
  CheckNowResult,
  EndTransactionRequest,
  EndTransactionResult,
  HalfMessageView,
  ProducerChannels,
  SendHalfResult,
  TransactionApi,
  TransactionSource,
} from './transaction.types';

const TRANSACTION_SOURCES: ReadonlySet<string> = new Set<TransactionSource>(['client', 'server-check', 'admin']);

/**
 * With nothing else changed, the state file is rewritten for the applied offset alone once the
 * log has grown this much since the last write, or at the latest after STATE_OFFSET_MAX_AGE_MS
 * (and always at close), so that open() reads only the log written since then, not the whole log.
 */
const STATE_OFFSET_LAG_BYTES = 64 * 1024 * 1024;
const STATE_OFFSET_MAX_AGE_MS = 10_000;

/** Logged at open with transactionExtensionsEnabled off (transaction-resolver.ts and check-back-scanner.ts say what Apache does). */
const EXTENSIONS_OFF =
  'transaction extensions off (transactionExtensionsEnabled=false), as Apache RocketMQ: a repeated COMMIT delivers again, the opposite resolution is applied too, and check-backs that reach no producer count towards transactionCheckMax';

export interface TransactionServiceOptions extends Partial<TransactionSettings> {
  /** Where `transaction-state.json` lives (the broker's config directory). */
  stateDir: string;
  /** Wall clock in ms since the epoch; tests inject one. Defaults to Date.now. */
  now?: () => number;
}

/** What open() found; also logged. */
export interface TransactionOpenReport {
  /** `state-file`: loaded the state file, then read the log after it; `log`: rebuilt from the whole log. */
  source: 'state-file' | 'log';
  /** Why the whole log was read (no state file, an invalid one, or one that does not match the log). */
  rebuildReason?: string;
  /** Commit-log records read to catch up. */
  scannedRecords: number;
  /** Damaged stretches of the log the catch-up scan passed over (each logged; normally 0). */
  damagedRanges: number;
  pending: number;
  checkMax: number;
  durationMs: number;
}

/**
 * Transactional messages (TransactionApi; lifecycle in transaction.types.ts, records in
 * transaction-records.ts, resolution rules in transaction-resolver.ts, check-back in
 * check-back-scanner.ts).
 *
 * State is a projection of the commit log (HalfMessageTable). The store's dispatch listener,
 * registered in the constructor, keeps it current; open() first loads `transaction-state.json`
 * (a snapshot covering the log up to an offset, with check counts) and reads the log after it,
 * so a SIGKILL loses nothing but check counts made since the last snapshot. The snapshot is
 * written atomically at most every stateWriteIntervalMs while something changed, and at close,
 * always after a store flush so it never covers a record a crash could take back.
 *
 * A missing, invalid or foreign state file (one that does not match the log) is not an error:
 * open() rebuilds from the whole log and logs a warning. Only check counts are lost that way, so
 * some half messages are checked back more often than transactionCheckMax, never less.
 */
export class TransactionService implements TransactionApi {
  private readonly settings: TransactionSettings;
  private readonly now: () => number;
  private readonly table: HalfMessageTable;
  private readonly resolver: TransactionResolver;
  private readonly scanner: CheckBackScanner;
  private readonly stateFile: TransactionStateFile;
  private currentState: LifecycleState = LifecycleState.Created;
  /** Transaction records dispatched while open() catches up; applied once it has. */
  private buffered: DispatchedRecord[] = [];
  /** The last record dispatched while open() catches up. */
  private lastSeen: DispatchedRecord | undefined;
  private persistedVersion = 0;
  private persistedOffset = 0;
  private persistedAtMs = 0;
  private stateWrites: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: MessageStore,
    channels: ProducerChannels,
    options: TransactionServiceOptions,
    private readonly logger: Logger,
    metrics?: TransactionMetrics,
  ) {
    const { stateDir, now, ...settings } = options;
    this.settings = { ...TRANSACTION_DEFAULTS, ...settings };
    checkTransactionSettings(this.settings);
    this.now = now ?? Date.now;
    this.table = new HalfMessageTable({ transactionTimeoutMs: this.settings.transactionTimeoutMs, maxResolved: this.settings.maxResolvedTransactions });
    this.resolver = new TransactionResolver(store, this.table, this.settings, logger, this.now, metrics);
    this.scanner = new CheckBackScanner(store, channels, this.table, this.resolver, this.settings, logger, this.now, metrics);
    this.stateFile = new TransactionStateFile(stateDir);
    metrics?.bindCounts({ pendingCount: () => this.table.pendingCount(), checkMaxCount: () => this.table.checkMaxCount() });
    store.onDispatch((record) => this.onDispatch(record));
  }

  get state(): LifecycleState {
    return this.currentState;
  }

  /** Loads the state file and catches up with the log; the store must be open. */
  async open(): Promise<TransactionOpenReport> {
    if (this.currentState !== LifecycleState.Created) throw new Error(`transaction service cannot be opened in state ${this.currentState}`);
    this.currentState = LifecycleState.Loading;
    try {
      const report = await this.load();
      this.currentState = LifecycleState.Running;
      this.applyBuffered();
      await this.saveState();
      this.startTimers();
      this.logger.info(report, 'transaction service opened');
      if (!this.settings.transactionExtensionsEnabled) this.logger.warn(EXTENSIONS_OFF);
      return report;
    } catch (error) {
      this.currentState = LifecycleState.Closed;
      throw error;
    }
  }

  /** Stops the timers, lets resolutions under way finish and writes the state file. */
  async close(): Promise<void> {
    if (this.currentState === LifecycleState.Created) this.currentState = LifecycleState.Closed;
    if (this.currentState !== LifecycleState.Running) return;
    this.currentState = LifecycleState.ShuttingDown;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.scanner.idle();
    await this.resolver.idle();
    try {
      await this.saveState();
    } finally {
      this.currentState = LifecycleState.Closed;
    }
  }

  /** Reports resolutions and check-backs to the broker's trace (TraceRecorder); unset: no trace. */
  setTraceSink(trace: TraceSink | undefined): void {
    this.resolver.trace = trace;
    this.scanner.trace = trace;
  }

  async sendHalfMessage(message: Omit<MessageInput, 'type'>, options: { producerGroup?: string; checkImmunityMs?: number }): Promise<SendHalfResult> {
    if (this.currentState !== LifecycleState.Running) return { status: 'not-running', state: this.currentState };
    if (message.topic === TRANS_CHECK_MAX_TIME_TOPIC)
      return { status: 'invalid', reason: `transactional messages cannot be sent to ${TRANS_CHECK_MAX_TIME_TOPIC}` };
    const immunityMs = options.checkImmunityMs ?? 0;
    if (!Number.isFinite(immunityMs) || immunityMs < 0) return { status: 'invalid', reason: `check immunity ${immunityMs} ms is not a non-negative duration` };
    const details: HalfMessageDetails = {
      producerGroup: options.producerGroup || undefined,
      bornTimestampMs: message.bornTimestampMs,
      checkImmunityMs: Math.ceil(immunityMs),
    };
    // The record carries the details: the dispatch listener reads them back from its properties.
    const result = await this.store
      .append(halfMessageRecord(message, details))
      .catch((error: unknown) => ({ status: 'store-failed' as const, reason: String(error) }));
    if (result.status !== 'ok') return result;
    const [record] = result.records;
    // The transaction id is the message id, as Apache's broker hands it out (SendMessageProcessor).
    return { status: 'ok', transactionId: message.messageId, offset: record.offset, storeTimestampMs: record.storeTimestampMs };
  }

  async endTransaction(request: EndTransactionRequest): Promise<EndTransactionResult> {
    // The callers map the protocol's values (UNKNOWN is "no decision" and never gets here).
    if (request.resolution !== 'COMMIT' && request.resolution !== 'ROLLBACK') throw new Error(`endTransaction: resolution ${String(request.resolution)}`);
    if (!TRANSACTION_SOURCES.has(request.source)) throw new Error(`endTransaction: source ${String(request.source)}`);
    if (this.currentState !== LifecycleState.Running) return { status: 'not-running', reason: `the transaction service is ${this.currentState}` };
    return this.resolver.end(request);
  }

  list(): HalfMessageView[] {
    const nowMs = this.now();
    const views: HalfMessageView[] = [];
    for (const entry of this.table.entries()) {
      views.push({
        transactionId: entry.messageId,
        messageId: entry.messageId,
        topic: entry.topic,
        queueId: entry.queueId,
        offset: entry.offset,
        size: entry.size,
        state: entry.state,
        producerGroup: entry.producerGroup,
        bornTimestampMs: entry.bornTimestampMs,
        storeTimestampMs: entry.storeTimestampMs,
        ageMs: nowMs - entry.storeTimestampMs,
        checkCount: entry.checkCount,
        nextCheckAtMs: entry.state === 'pending' ? entry.nextCheckAtMs : undefined,
      });
    }
    return views;
  }

  pendingCount(): number {
    return this.table.pendingCount();
  }

  /** Half messages in TRANS_CHECK_MAX_TIME_TOPIC waiting for an operator. */
  checkMaxCount(): number {
    return this.table.checkMaxCount();
  }

  producerAvailable(topic: string): void {
    if (this.currentState !== LifecycleState.Running || !this.settings.transactionExtensionsEnabled) return;
    const woken = this.table.wakeTopic(topic, this.now());
    if (woken > 0) this.logger.debug({ topic, woken }, "a producer connected: its topic's waiting check-backs are due now");
  }

  async checkNow(transactionId: string): Promise<CheckNowResult> {
    // An operator names no topic: the oldest pending half message of the id, in whichever topic.
    const parts = this.table.locate(transactionId, undefined) ?? decodeTransactionId(transactionId);
    if (this.currentState !== LifecycleState.Running) return { status: 'not-found', reason: 'the transaction service is not running' };
    if (!parts) return { status: 'not-found', reason: `no half message for transaction ${JSON.stringify(transactionId)}` };
    return this.scanner.checkNow(parts.offset);
  }

  /**
   * Runs one check-back scan now. The timer calls it every checkScanIntervalMs; a call while a
   * scan is under way joins it (tests with an injected clock call it directly).
   */
  async runCheckBacks(): Promise<CheckBackScanResult> {
    if (this.currentState !== LifecycleState.Running) return { checksSent: 0, noProducer: 0, movedToCheckMax: 0 };
    return this.scanner.run();
  }

  /**
   * Writes the state file if anything changed since the last write: flushes the store first, so
   * the file never covers a record a crash could take back. Resolves true if it wrote. The timer
   * and close() call it.
   */
  saveState(): Promise<boolean> {
    const run = this.stateWrites.then(() => this.writeState());
    this.stateWrites = run.catch(() => undefined);
    return run;
  }

  private async writeState(): Promise<boolean> {
    const table = this.table;
    if (table.version === this.persistedVersion && !this.appliedOffsetDue()) return false;
    const version = table.version;
    const appliedOffset = table.appliedOffset;
    const text = JSON.stringify(table.toDocument()) + '\n';
    const storeState = this.store.state;
    if (storeState === StoreState.Running) await this.store.flush();
    else if (storeState !== StoreState.Closed) {
      // A failed store may not have written what the table reflects: keep the older file.
      this.logger.warn({ storeState }, 'transaction state not written: the store is not running');
      return false;
    }
    await this.stateFile.write(text);
    this.persistedVersion = version;
    this.persistedOffset = appliedOffset;
    this.persistedAtMs = this.now();
    return true;
  }

  /** Whether the applied offset alone is worth a state-file write (see STATE_OFFSET_LAG_BYTES). */
  private appliedOffsetDue(): boolean {
    const lag = this.table.appliedOffset - this.persistedOffset;
    if (lag <= 0) return false;
    return lag >= STATE_OFFSET_LAG_BYTES || this.currentState !== LifecycleState.Running || this.now() - this.persistedAtMs >= STATE_OFFSET_MAX_AGE_MS;
  }

  private async load(): Promise<TransactionOpenReport> {
    const startedAt = performance.now();
    const stored = await this.stateFile.read();
    let rebuildReason: string | undefined;
    if (stored === 'missing') rebuildReason = 'no state file';
    else if ('invalid' in stored) rebuildReason = `state file ${this.stateFile.file} is invalid: ${stored.invalid}`;
    else rebuildReason = await this.mismatchWithLog(stored);
    if (rebuildReason === undefined) {
      this.table.load(stored as TransactionStateDocument);
      this.persistedVersion = this.table.version;
      this.persistedOffset = this.table.appliedOffset;
    } else {
      // Written again after the rebuild, replacing what could not be used.
      this.persistedVersion = -1;
      const bounds = this.store.getCommitLogBounds();
      if (stored !== 'missing' || bounds.maxOffset > bounds.minOffset) {
        this.logger.warn({ reason: rebuildReason, file: this.stateFile.file }, 'transaction state rebuilt from the whole commit log');
      }
    }
    let scannedRecords = 0;
    let damagedRanges = 0;
    for (let from = this.table.appliedOffset; ;) {
      const page = await this.store.scan(from, this.settings.scanPageRecords);
      for (const range of page.damaged) {
        damagedRanges++;
        this.logger.error(
          { ...range },
          'transaction state: a damaged stretch of the commit log was passed over; a half message stored there is not checked back, and one resolved there may be checked back again',
        );
      }
      if (page.messages.length === 0 && page.nextOffset <= from) break;
      for (const message of page.messages) this.apply(storedFacts(message));
      scannedRecords += page.messages.length;
      this.table.advanceTo(page.nextOffset);
      from = page.nextOffset;
    }
    this.scanner.pruneDeleted();
    return {
      source: rebuildReason === undefined ? 'state-file' : 'log',
      ...(rebuildReason === undefined ? {} : { rebuildReason }),
      scannedRecords,
      damagedRanges,
      pending: this.table.pendingCount(),
      checkMax: this.table.checkMaxCount(),
      durationMs: Math.round(performance.now() - startedAt),
    };
  }

  /** Why a (valid) state file cannot describe this log, or undefined if it can. */
  private async mismatchWithLog(document: TransactionStateDocument): Promise<string | undefined> {
    const bounds = this.store.getCommitLogBounds();
    if (document.appliedOffset > bounds.maxOffset) {
      return `the commit log ends at ${bounds.maxOffset}, before the state file's offset ${document.appliedOffset} (truncated, or another log)`;
    }
    const last = document.lastRecord;
    if (last && last.offset >= bounds.minOffset) {
      const record = await this.store.readMessage(last.offset, last.size);
      if (!record || record.messageId !== last.messageId) return `the state file's last record (offset ${last.offset}) is not in the commit log (another log)`;
    }
    return undefined;
  }

  private onDispatch(record: DispatchedRecord): void {
    switch (this.currentState) {
      case LifecycleState.Running:
      case LifecycleState.ShuttingDown:
        this.apply(record);
        return;
      case LifecycleState.Loading:
        // open() reads the log up to some point; what is dispatched meanwhile is applied after it.
        if (record.type !== RecordType.Normal) this.buffered.push(record);
        if (!this.lastSeen || record.offset > this.lastSeen.offset) this.lastSeen = record;
        return;
      default:
      // Before open() the log scan covers it; after close() the next open() does.
    }
  }

  private applyBuffered(): void {
    for (const record of this.buffered) this.apply(record);
    if (this.lastSeen) this.table.advance(this.lastSeen);
    this.buffered = [];
    this.lastSeen = undefined;
  }

  /**
   * Applies one record of the log to the table: the one path for records dispatched live, buffered
   * while open() caught up, and read back by open()'s scan.
   */
  private apply(record: AppliedRecord): void {
    if (record.offset < this.table.appliedOffset) return;
    if (record.type === RecordType.Prepared) this.table.addHalf(record, halfMessageDetailsOf(record));
    else {
      const kind = opKindOf(record);
      if (kind) this.table.applyOp(kind, record.preparedOffset, checkCountOf(record));
    }
    this.table.advance(record);
  }

  private startTimers(): void {
    const scan = setInterval(() => {
      this.runCheckBacks().catch((error: unknown) => this.logger.error({ err: error }, 'check-back scan failed'));
    }, this.settings.checkScanIntervalMs);
    const save = setInterval(() => {
      this.saveState().catch((error: unknown) => {
        // Still dirty: the next tick or close() writes it again.
        this.logger.error({ err: error, file: this.stateFile.file }, 'writing the transaction state failed');
      });
    }, this.settings.stateWriteIntervalMs);
    scan.unref();
    save.unref();
    this.timers.push(scan, save);
  }
}

/** A record as apply() reads it: a dispatched record is one already; a scanned message is adapted. */
type AppliedRecord = TransactionRecordFacts & HalfRecordFacts & { preparedOffset: number };

function storedFacts(message: StoredMessage): AppliedRecord {
  const { type, topic, queueId, offset, size, messageId, storeTimestampMs, bornTimestampMs, preparedOffset, properties } = message;
  return { type, topic, queueId, offset, size, messageId, storeTimestampMs, bornTimestampMs, preparedOffset, property: (name: string) => properties[name] };
}
