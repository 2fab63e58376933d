import { TraceSink } from '../trace/trace-events';
import { Logger } from 'pino';
import { StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { HalfEntry, HalfMessageTable } from './half-message-table';
import { TransactionMetrics } from './transaction-metrics';
import { TransactionResolver } from './transaction-resolver';
import { CheckNowResult, ProducerChannels } from './transaction.types';

/** What one scan did. */
export interface CheckBackScanResult {
  /** Check-backs written to a live producer (counted against transactionCheckMax). */
  checksSent: number;
  /** Due half messages with no live producer of their topic: retried, not counted (counted with transaction extensions off). */
  noProducer: number;
  /** Moved to TRANS_CHECK_MAX_TIME_TOPIC. */
  movedToCheckMax: number;
}

/**
 * The check-back: finds pending half messages that are due (first at store time +
 * max(transactionTimeout, the message's check immunity), then every transactionCheckInterval)
 * and asks a live producer of the topic about each (ProducerChannels.sendCheck). An attempt counts
 * only if it reached a producer: while every producer of the topic is offline, a half message
 * waits without using up its transactionCheckMax (Apache RocketMQ counts those attempts too).
 * Once transactionCheckMax checks were sent and the next one is due, it moves to the check-max
 * topic instead.
 *
 * With transactionExtensionsEnabled off every attempt counts, reached or not, as on Apache's
 * broker: TransactionalMessageServiceImpl.check raises the half message's TRANSACTION_CHECK_TIMES
 * (needDiscard) before AbstractTransactionalMessageCheckListener.sendCheckMessage looks for a
 * producer channel, which, finding none, only logs "Check transaction failed, channel is null".
 * A producer connecting then wakes nothing (TransactionService.producerAvailable): the next check
 * waits for its interval, as TransactionalMessageCheckService does.
 *
 * A scan handles at most maxChecksPerScan half messages; the rest stay due for the next scan, so
 * a backlog (after a restart, or when a producer comes back) is spread over time.
 */
export class CheckBackScanner {
  private currentRun: Promise<CheckBackScanResult> | undefined;

  constructor(
    private readonly store: MessageStore,
    private readonly channels: ProducerChannels,
    private readonly table: HalfMessageTable,
    private readonly resolver: TransactionResolver,
    private readonly settings: {
      transactionCheckIntervalMs: number;
      transactionCheckMax: number;
      maxChecksPerScan: number;
      transactionExtensionsEnabled: boolean;
    },
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly metrics: TransactionMetrics | undefined,
  ) {}

  /** Where a check-back sent is reported as a CheckBack trace event (the broker's TraceRecorder). */
  trace: TraceSink | undefined;

  /** Runs one scan; a call while one is under way joins it. */
  run(): Promise<CheckBackScanResult> {
    if (this.currentRun) return this.currentRun;
    const run = this.runOnce().finally(() => {
      this.currentRun = undefined;
    });
    this.currentRun = run;
    return run;
  }

  /** Resolves when the scan under way, if any, has finished. */
  async idle(): Promise<void> {
    await this.currentRun?.catch(() => undefined);
  }

  /** Drops what retention deleted; unresolved half messages among it are logged. */
  pruneDeleted(): void {
    for (const entry of this.table.pruneBelow(this.store.getCommitLogBounds().minOffset)) {
      this.logger.warn(
        { topic: entry.topic, messageId: entry.messageId, offset: entry.offset, state: entry.state },
        'half message deleted by retention before it was resolved',
      );
    }
  }

  private async runOnce(): Promise<CheckBackScanResult> {
    const result: CheckBackScanResult = { checksSent: 0, noProducer: 0, movedToCheckMax: 0 };
    this.pruneDeleted();
    const nowMs = this.now();
    const due = this.table.takeDue(nowMs, this.settings.maxChecksPerScan, nowMs + this.settings.transactionCheckIntervalMs);
    await Promise.all(
      due.map(async (entry) => {
        if (entry.checkCount >= this.settings.transactionCheckMax) {
          if (await this.resolver.moveToCheckMax(entry)) result.movedToCheckMax++;
          return;
        }
        const outcome = await this.check(entry);
        if (outcome === 'sent') result.checksSent++;
        if (outcome === 'no-producer') result.noProducer++;
      }),
    );
    return result;
  }

  /**
   * An operator's "check now" (admin API, console): one check-back for the pending half message at
   * `offset`, at once, counted and traced as a scheduled one; the next scheduled check moves a full
   * interval on. The answer comes back as any check-back's does (EndTransaction, source
   * server-check).
   */
  async checkNow(offset: number): Promise<CheckNowResult> {
    const entry = this.table.get(offset);
    if (!entry) return { status: 'not-found', reason: 'no unresolved half message has this transaction id' };
    if (entry.state !== 'pending')
      return { status: 'not-pending', reason: `the half message is in ${entry.state}: only an operator's commit or rollback resolves it` };
    this.table.reschedule(entry, this.now() + this.settings.transactionCheckIntervalMs);
    let clientId: string | undefined;
    const outcome = await this.check(entry, (sent) => (clientId = sent));
    if (outcome === 'sent') return { status: 'sent', clientId: clientId!, topic: entry.topic, messageId: entry.messageId };
    if (outcome === 'no-producer') {
      return { status: 'no-producer', reason: `no producer of topic ${JSON.stringify(entry.topic)} is connected to answer a check-back` };
    }
    return { status: 'not-found', reason: 'the half message was resolved or deleted while it was read' };
  }

  private async check(entry: HalfEntry, onSent?: (clientId: string) => void): Promise<'sent' | 'no-producer' | 'skipped'> {
    let half: StoredMessage | undefined;
    try {
      half = await this.store.readMessage(entry.offset, entry.size);
    } catch (error) {
      this.logger.error(
        { err: error, offset: entry.offset, messageId: entry.messageId },
        'reading a half message for its check-back failed; retrying at the next check',
      );
      return 'skipped';
    }
    // Resolved (or moved) while it was read: nothing to ask.
    if (this.table.get(entry.offset) !== entry || entry.state !== 'pending') return 'skipped';
    if (!half) {
      this.table.drop(entry);
      this.logger.warn({ topic: entry.topic, messageId: entry.messageId, offset: entry.offset }, 'half message deleted by retention before it was resolved');
      return 'skipped';
    }
    // The message id, as Apache's broker hands it out: the producer answers with it.
    const transactionId = entry.messageId;
    let clientId: string | undefined;
    try {
      clientId = this.channels.sendCheck(half, transactionId);
    } catch (error) {
      this.logger.error(
        { err: error, topic: entry.topic, messageId: entry.messageId, transactionId },
        'sending a check-back failed; retrying at the next check',
      );
    }
    const sent = clientId !== undefined;
    this.table.recordCheck(entry, sent, sent || !this.settings.transactionExtensionsEnabled);
    if (clientId === undefined) return 'no-producer';
    this.metrics?.recordCheckSent();
    this.trace?.record({
      type: 'CheckBack',
      timeMs: this.now(),
      messageId: entry.messageId,
      topic: entry.topic,
      keys: half.keys,
      transactionId,
      clientId,
      checkCount: entry.checkCount,
    });
    this.logger.debug({ topic: entry.topic, messageId: entry.messageId, transactionId, clientId, checkCount: entry.checkCount }, 'check-back sent');
    onSent?.(clientId);
    return 'sent';
  }
}
