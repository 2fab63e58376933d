import { TraceSink } from '../trace/trace-events';
import { Logger } from 'pino';
import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { TRANS_CHECK_MAX_TIME_TOPIC } from '../topics/topic-config';
import { HalfEntry, HalfMessageTable, ResolvedState } from './half-message-table';
import { KeyedSerializer } from './keyed-serializer';
import { decodeTransactionId, TransactionIdParts } from './transaction-id';
import { TransactionMetrics } from './transaction-metrics';
import { checkMaxRecords, opRecord } from './transaction-records';
import { EndTransactionRequest, EndTransactionResult } from './transaction.types';

/** An op-record append that did not succeed, as EndTransaction reports it. */
type AppendFailure = Extract<EndTransactionResult, { status: 'store-failed' | 'not-running' }>;

/**
 * Decides and writes resolutions: EndTransaction (client, check-back answer, admin) and the
 * check-max move. Everything for one transaction runs one at a time (KeyedSerializer by
 * half-message offset), and the table is updated before the next task for it starts, so
 * concurrent calls see each other's outcome: of two racing COMMITs one appends the Commit record
 * and the other answers ok+duplicate; of a COMMIT racing a ROLLBACK, the second is refused.
 * EndTransaction calls naming one transaction id in one topic also find their record one at a
 * time, so racing calls for a resent half message (two records under one id) end them in the
 * order sequential calls would.
 *
 * Resolutions are final. The state machine (transaction.types.ts has the diagram):
 *
 * | state       | COMMIT                              | ROLLBACK                               |
 * |-------------|-------------------------------------|----------------------------------------|
 * | pending     | Commit record: delivered once       | Rollback record                        |
 * | committed   | ok, duplicate                       | conflict                               |
 * | rolled-back | conflict                            | ok, duplicate                          |
 * | check-max   | admin: Commit record; others: conflict | admin: Rollback record; others: conflict |
 * | forgotten   | not-found, nothing changed          | not-found, nothing changed             |
 *
 * "Forgotten": the half message is still in the log and not unresolved (the table tracks every
 * unresolved one), so it was resolved, but so long ago that the outcome is no longer remembered
 * (`maxResolvedTransactions`). Nothing is appended for it, so it is never delivered twice.
 *
 * With `transactionExtensionsEnabled` off the table above holds only for pending half messages;
 * every other call that names a half message still in the log is applied again, as Apache's
 * broker does (see resolveAgain): a second COMMIT delivers it again, a COMMIT after a ROLLBACK
 * delivers it, a ROLLBACK after a COMMIT appends an op record and changes nothing a consumer
 * sees, and a client may resolve a check-max half message.
 */
export class TransactionResolver {
  private readonly serializer = new KeyedSerializer();
  /** EndTransaction calls by topic and transaction id, from finding the record to resolving it. */
  private readonly requests = new KeyedSerializer<string>();

  constructor(
    private readonly store: MessageStore,
    private readonly table: HalfMessageTable,
    private readonly settings: { transactionCheckMax: number; maxMessageSizeBytes: number; transactionExtensionsEnabled: boolean },
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly metrics: TransactionMetrics | undefined,
  ) {}

  /** Where a resolution is reported as an EndTransaction trace event (the broker's TraceRecorder). */
  trace: TraceSink | undefined;

  /**
   * The id clients hold is the message id (Apache's), looked up within the request's topic (the
   * proxy's producer group): the table knows its unresolved half messages; a resolved one (a
   * repeat, also after a restart) is found by the store's message-id index. The broker's own
   * record ids, handed out before 2026-12-05, are still taken, so a producer holding one across
   * an upgrade can end its transaction.
   */
  end(request: EndTransactionRequest): Promise<EndTransactionResult> {
    return this.requests.run(`${request.topic}\n${request.transactionId}`, async () => {
      // The broker's own ids last: a client's message id may look like one (34 hex characters).
      const located = this.table.locate(request.transactionId, request.topic) ?? (await this.storedHalf(request));
      if (located === 'failed') return { status: 'store-failed', reason: `looking up transaction ${JSON.stringify(request.transactionId)} failed` };
      const id = located ?? decodeTransactionId(request.transactionId);
      if (!id) return { status: 'not-found', reason: `no half message for transaction ${JSON.stringify(request.transactionId)}` };
      return this.serializer.run(id.offset, () => this.resolve(id, request));
    });
  }

  /**
   * The newest half-message record stored under the request's transaction id (a message id) in
   * its topic, else in another topic (then resolve() answers mismatch); 'failed' if the store
   * could not be read (logged).
   */
  private async storedHalf(request: EndTransactionRequest): Promise<TransactionIdParts | 'failed' | undefined> {
    let found: StoredMessage[];
    try {
      // Newest first.
      found = (await this.store.queryByMessageId(request.transactionId)).filter((message) => message.type === RecordType.Prepared);
    } catch (error) {
      this.logger.error({ err: error, topic: request.topic, transactionId: request.transactionId }, 'looking up a half message by its message id failed');
      return 'failed';
    }
    const half = found.find((message) => message.topic === request.topic) ?? found[0];
    return half ? { offset: half.offset, size: half.size } : undefined;
  }

  /**
   * Moves a pending half message that used up its check-backs to the check-max topic (copy +
   * marker, one atomic batch). Returns true if it moved; false if it was resolved meanwhile or
   * the store refused (then the next scan tries again).
   */
  moveToCheckMax(entry: HalfEntry): Promise<boolean> {
    return this.serializer.run(entry.offset, async () => {
      if (this.table.get(entry.offset) !== entry || entry.state !== 'pending' || entry.checkCount < this.settings.transactionCheckMax) return false;
      const half = await this.readHalf(entry);
      if (half === 'failed') return false;
      if (!half) return this.dropLost(entry);
      const transactionId = entry.messageId;
      const failure = await this.append(checkMaxRecords(half, transactionId, entry.checkCount, this.now()));
      const context = {
        topic: entry.topic,
        queueId: entry.queueId,
        messageId: entry.messageId,
        transactionId,
        producerGroup: entry.producerGroup,
        checkCount: entry.checkCount,
      };
      if (failure) {
        this.logger.error({ ...context, failure }, 'moving a half message to the check-max topic failed; retrying at its next check');
        return false;
      }
      this.table.applyOp('check-max', entry.offset);
      this.metrics?.recordCheckMax();
      this.logger.warn(
        { ...context, ageMs: this.now() - entry.storeTimestampMs },
        `half message unresolved after ${entry.checkCount} check-backs: moved to ${TRANS_CHECK_MAX_TIME_TOPIC}; an operator can commit or roll it back (admin API, mqadmin)`,
      );
      return true;
    });
  }

  /** Resolves when every resolution under way has finished. */
  async idle(): Promise<void> {
    await this.requests.idle();
    await this.serializer.idle();
  }

  private async resolve(id: TransactionIdParts, request: EndTransactionRequest): Promise<EndTransactionResult> {
    const entry = this.table.get(id.offset);
    if (entry && entry.size === id.size) return this.resolveUnresolved(entry, request);
    if (id.size > this.settings.maxMessageSizeBytes) return { status: 'not-found', reason: `no half message for transaction ${request.transactionId}` };
    let half: StoredMessage | undefined;
    try {
      half = await this.store.readMessage(id.offset, id.size);
    } catch (error) {
      return { status: 'store-failed', reason: `reading the half message failed: ${(error as Error).message}` };
    }
    if (!half || half.type !== RecordType.Prepared || half.size !== id.size) {
      return { status: 'not-found', reason: `no half message for transaction ${request.transactionId} (unknown, or deleted by retention)` };
    }
    const mismatch = mismatchOf(half, request);
    if (mismatch) return mismatch;
    if (!this.settings.transactionExtensionsEnabled) return this.resolveAgain(half, request);
    const state = this.table.resolution(id.offset);
    if (!state) {
      return {
        status: 'not-found',
        reason: `transaction ${request.transactionId} was resolved long ago and its outcome is no longer remembered; nothing was changed`,
      };
    }
    if ((state === 'committed') === (request.resolution === 'COMMIT')) return { status: 'ok', duplicate: true };
    return { status: 'conflict', reason: conflictReason(state, request), state };
  }

  private async resolveUnresolved(entry: HalfEntry, request: EndTransactionRequest): Promise<EndTransactionResult> {
    const mismatch = mismatchOf(entry, request);
    if (mismatch) return mismatch;
    // Apache's EndTransactionProcessor does not know about TRANS_CHECK_MAX_TIME_TOPIC: it finds
    // the half message by its commit-log offset and resolves it, whoever asks.
    if (entry.state === 'check-max' && request.source !== 'admin' && this.settings.transactionExtensionsEnabled) {
      return {
        status: 'conflict',
        reason: `transaction ${request.transactionId} was moved to ${TRANS_CHECK_MAX_TIME_TOPIC} after ${entry.checkCount} check-backs; only an operator can commit or roll it back`,
        state: 'check-max',
      };
    }
    const half = await this.readHalf(entry);
    if (half === 'failed') return { status: 'store-failed', reason: 'reading the half message failed' };
    if (!half) {
      this.dropLost(entry);
      return { status: 'not-found', reason: `the half message of transaction ${request.transactionId} was deleted by retention` };
    }
    const wasCheckMax = entry.state === 'check-max';
    const failure = await this.appendResolution(half, request);
    if (failure) return failure;
    const context = {
      topic: entry.topic,
      messageId: entry.messageId,
      transactionId: request.transactionId,
      source: request.source,
      finishSeconds: (this.now() - entry.storeTimestampMs) / 1000,
    };
    if (wasCheckMax || request.source === 'admin') this.logger.info({ ...context, wasCheckMax }, `transaction resolved by an operator: ${request.resolution}`);
    else this.logger.debug(context, `transaction ${request.resolution}`);
    return { status: 'ok', duplicate: false };
  }

  /**
   * Transaction extensions off: a half message that is no longer unresolved is resolved again,
   * as Apache RocketMQ's broker does. EndTransactionProcessor.processRequest gets the half message
   * from TransactionalMessageServiceImpl.commitMessage / rollbackMessage, which only look it up by
   * its commit-log offset (getHalfMessageByOffset) and never ask whether an op record already
   * resolved it. A COMMIT then writes the real message again (sendFinalMessage): consumers get
   * it once more. A ROLLBACK only writes another op record (deletePrepareMessage). Both answer
   * SUCCESS. (Apache's gRPC proxy passes a repeat on only while it holds transaction data for
   * the id: one entry per send and per check-back sent, each used up by an EndTransaction,
   * TransactionDataManager.pollNoExpireTransactionData; a repeat with none left fails there with
   * TRANSACTION_DATA_NOT_FOUND. This broker lets every repeat through, the stricter test.)
   */
  private async resolveAgain(half: StoredMessage, request: EndTransactionRequest): Promise<EndTransactionResult> {
    const failure = await this.appendResolution(half, request);
    if (failure) return failure;
    this.logger.debug(
      { topic: half.topic, messageId: half.messageId, transactionId: request.transactionId, source: request.source },
      `transaction ${request.resolution} again (transaction extensions off)`,
    );
    return { status: 'ok', duplicate: false };
  }

  /** Appends the op record for `request`, applies it to the table, counts and traces it; undefined when stored. */
  private async appendResolution(half: StoredMessage, request: EndTransactionRequest): Promise<AppendFailure | undefined> {
    const type = request.resolution === 'COMMIT' ? RecordType.Commit : RecordType.Rollback;
    const failure = await this.append(opRecord(half, type, request.transactionId, request.source, this.now()));
    if (failure) return failure;
    this.table.applyOp(request.resolution === 'COMMIT' ? 'commit' : 'rollback', half.offset);
    this.metrics?.recordResolution(request.resolution, request.source, (this.now() - half.storeTimestampMs) / 1000);
    this.trace?.record({
      type: 'EndTransaction',
      timeMs: this.now(),
      messageId: half.messageId,
      topic: half.topic,
      keys: half.keys,
      transactionId: request.transactionId,
      resolution: request.resolution,
      source: request.source,
    });
    return undefined;
  }

  /** The half message's record; undefined if retention deleted it; 'failed' if the read failed (logged). */
  private async readHalf(entry: HalfEntry): Promise<StoredMessage | undefined | 'failed'> {
    try {
      return await this.store.readMessage(entry.offset, entry.size);
    } catch (error) {
      this.logger.error({ err: error, offset: entry.offset, messageId: entry.messageId }, 'reading a half message failed');
      return 'failed';
    }
  }

  private dropLost(entry: HalfEntry): false {
    this.table.drop(entry);
    this.logger.warn({ topic: entry.topic, messageId: entry.messageId, offset: entry.offset }, 'half message deleted by retention before it was resolved');
    return false;
  }

  /** Appends op records; undefined when they are stored, else the failure. */
  private async append(records: MessageInput | MessageInput[]): Promise<AppendFailure | undefined> {
    const result = await this.store.append(records).catch((error: unknown) => ({ status: 'store-failed' as const, reason: String(error) }));
    switch (result.status) {
      case 'ok':
        return undefined;
      case 'not-running':
        return { status: 'not-running', reason: `the store is ${result.state}` };
      case 'store-failed':
        return { status: 'store-failed', reason: result.reason };
      default:
        // An op record is small and valid by construction: this is the store refusing something else.
        return { status: 'store-failed', reason: `the store refused the op record: ${JSON.stringify(result)}` };
    }
  }
}

function mismatchOf(half: { messageId: string; topic: string }, request: EndTransactionRequest): EndTransactionResult | undefined {
  if (half.messageId === request.messageId && half.topic === request.topic) return undefined;
  return {
    status: 'mismatch',
    reason: `transaction ${request.transactionId} belongs to message ${half.messageId} of topic ${half.topic}, not to message ${request.messageId} of topic ${request.topic}`,
  };
}

function conflictReason(state: ResolvedState, request: EndTransactionRequest): string {
  return state === 'committed'
    ? `transaction ${request.transactionId} is already committed; a ROLLBACK cannot undo it`
    : `transaction ${request.transactionId} is already rolled back; a COMMIT cannot deliver it`;
}
