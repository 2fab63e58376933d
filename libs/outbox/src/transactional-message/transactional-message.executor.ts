import { Inject, Injectable, Optional } from '@nestjs/common';
import { MqHalfMessage, MqSendOptions, MqTraceReporter, MqTransactionProducer } from '@app/mq';
import { OutboxDatabase } from '../outbox-database';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { errorCodeOf, OutboxError } from '../outbox.errors';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { TransactionalMessageStep } from '../outbox.options';
import { OutboxWriter } from '../relay/outbox-writer';
import { endHalfMessage, ensureBrokerReachable, sendHalfMessage } from './send-half-message';
import { committedClaim, isClaimConflict, isCommitRefused } from '../sql/transaction.sql';
import { linkNotificationsToMessage } from '../sql/notification.sql';
import { runProducing } from '../notification/notification-source';
import { TransactionalMessageInvoker, TransactionalMessageOptions } from './transactional-message.decorator';
import { SqlClient } from '../transaction-runner';
import { OutboxMetrics } from '../outbox.metrics';

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Runs @TransactionalMessage methods (the flow and its states are in docs/architecture.md,
 * "libs/outbox"). Half-message mode, outside any transaction:
 * 1. open a local transaction and run the method in it;
 * 2. send the half message, built from the result (broker unreachable: roll back, throw);
 * 3. insert `mq_transaction(message_id, 'committed')` (fails if a check-back got there first);
 * 4. commit, then EndTransaction(COMMIT); a lost commit is only logged, the check-back delivers.
 * Any failure before the commit rolls back locally and sends EndTransaction(ROLLBACK), and so
 * does a COMMIT that PostgreSQL answers with an ERROR (nothing committed). With
 * `claimWithCommit` (the default) steps 3 and 4 are one round trip, `INSERT ...; COMMIT`: the
 * insert failing on the check-back's row is then a commit refused, and handled as step 3's.
 *
 * The half message goes after the method, not before, so that its body can be the method's
 * result and so that a long method cannot outlive the broker's check-back delay. A preflight
 * (`ensureBrokerReachable`) keeps the other promise of sending first: with the broker known to be
 * unreachable the method is not run at all. Only a broker that dies between the preflight and the
 * send makes the method run and be rolled back (the caller gets the same error).
 */
@Injectable()
export class TransactionalMessageExecutor implements TransactionalMessageInvoker {
  constructor(
    private readonly database: OutboxDatabase,
    private readonly producer: MqTransactionProducer,
    private readonly writer: OutboxWriter,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
    private readonly metrics: OutboxMetrics,
    /** The local transaction's outcome goes to the message's trace (absent outside MqModule: none). */
    @Optional() private readonly trace?: MqTraceReporter,
  ) {}

  invoke(options: TransactionalMessageOptions, instance: object, method: Method, args: unknown[]): Promise<unknown> {
    const call = (): Promise<unknown> => method.apply(instance, args);
    if (options.mode === 'outbox') return this.runOutbox(options, call, args);
    if (this.database.runner.isTransactionActive()) return this.runJoined(options, call, args);
    return this.runLocal(options, call, args);
  }

  private async runLocal(options: TransactionalMessageOptions, call: () => Promise<unknown>, args: unknown[]): Promise<unknown> {
    await ensureBrokerReachable(this.producer, options.topic);
    let half: MqHalfMessage | undefined;
    let keys: readonly string[] = [];
    let committing = false;
    let result: unknown;
    const startedAt = performance.now();
    const notifications: string[] = [];
    try {
      result = await this.database.runner.inTransaction(async (sql) => {
        const value = await runProducing(notifications, call);
        keys = this.messageOf(options, value, args).send.keys ?? [];
        half = await this.sendHalf(options, value, args);
        await this.linkNotifications(sql, notifications, half, keys);
        await this.claimCommitted(sql, half, this.options.claimWithCommit);
        committing = true;
        return value;
      });
    } catch (caught) {
      let error = caught;
      if (committing && isCommitRefused(error)) {
        // PostgreSQL answered the COMMIT with an ERROR: nothing committed. With the claim in the
        // COMMIT's round trip, a check-back's row is what refused it.
        committing = false;
        if (isClaimConflict(error, this.options.schema)) error = this.rolledBackByCheckBack(half!, error);
      }
      // Any other failure while committing leaves the outcome unknown: only the check-back,
      // reading the row, may decide then. Before that, nothing of the transaction can have committed.
      this.metrics.localTransactionEnded(options.topic, committing ? 'unknown' : 'rolled_back');
      if (half && !committing) {
        this.traceLocal(half, keys, 'rolled-back', startedAt, error);
        await endHalfMessage(half, 'ROLLBACK', this.options.logger);
      }
      throw error;
    }
    this.metrics.localTransactionEnded(options.topic, 'committed');
    this.traceLocal(half!, keys, 'committed', startedAt);
    await this.step('local-committed', half!);
    await endHalfMessage(half!, 'COMMIT', this.options.logger);
    return result;
  }

  /** Inside an outer transaction: the message is ended after the outer commit or rollback. */
  private async runJoined(options: TransactionalMessageOptions, call: () => Promise<unknown>, args: unknown[]): Promise<unknown> {
    await ensureBrokerReachable(this.producer, options.topic);
    const startedAt = performance.now();
    return this.database.runner.inTransaction(async (sql) => {
      const notifications: string[] = [];
      const value = await runProducing(notifications, call);
      const half = await this.sendHalf(options, value, args);
      try {
        await this.linkNotifications(sql, notifications, half, this.messageOf(options, value, args).send.keys ?? []);
        // Joined: the COMMIT is the outer transaction's, so the claim is a statement of its own.
        await this.claimCommitted(sql, half, false);
      } catch (error) {
        // The message is rolled back whatever the outer transaction does next.
        this.metrics.localTransactionEnded(options.topic, 'rolled_back');
        await endHalfMessage(half, 'ROLLBACK', this.options.logger);
        throw error;
      }
      const keys = this.messageOf(options, value, args).send.keys ?? [];
      this.database.runner.afterCompletion(async (committed) => {
        this.metrics.localTransactionEnded(options.topic, committed ? 'committed' : 'rolled_back');
        this.traceLocal(half, keys, committed ? 'committed' : 'rolled-back', startedAt);
        if (committed) await this.step('local-committed', half).catch(() => undefined);
        await endHalfMessage(half, committed ? 'COMMIT' : 'ROLLBACK', this.options.logger);
      });
      return value;
    });
  }

  private runOutbox(options: TransactionalMessageOptions, call: () => Promise<unknown>, args: unknown[]): Promise<unknown> {
    return this.database.runner.inTransaction(async () => {
      const value = await call();
      const message = this.messageOf(options, value, args);
      const entry = { topic: options.topic, payload: message.payload, ...message.send };
      if (this.options.enqueueWithCommit) await this.writer.enqueueWithCommit(entry);
      else await this.writer.enqueue(entry);
      return value;
    });
  }

  /**
   * Notifications the business method created (NotificationService.notify) belong to the message
   * it sent: linked in the same database transaction, once the half message has its id, so each
   * of their delivery attempts shows on the message's trace timeline. No statement when none.
   */
  private async linkNotifications(sql: SqlClient, ids: readonly string[], half: MqHalfMessage, keys: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await linkNotificationsToMessage(sql, this.options.schema, ids, { messageId: half.messageId, topic: half.topic, keys });
  }

  /** The local transaction around a half message, for its trace: committed or rolled back, and how long it took. */
  private traceLocal(half: MqHalfMessage, keys: readonly string[], outcome: 'committed' | 'rolled-back', startedAt: number, error?: unknown): void {
    this.trace?.report({
      type: 'LocalTransaction',
      timeMs: Date.now(),
      messageId: half.messageId,
      topic: half.topic,
      keys,
      outcome,
      durationMs: Math.round(performance.now() - startedAt),
      ...(error ? { errorCode: errorCodeOf(error) } : {}),
    });
  }

  /**
   * Inserts `mq_transaction(message_id, 'committed')` in the local transaction: now, as a
   * statement of its own (then the `row-inserted` step), or `withCommit`, queued to go out in
   * the COMMIT's round trip.
   */
  private async claimCommitted(sql: SqlClient, half: MqHalfMessage, withCommit: boolean): Promise<void> {
    await this.step('half-sent', half);
    const claim = committedClaim(this.options.schema, half.messageId, half.topic);
    if (withCommit) {
      this.database.runner.atCommit(claim);
      return;
    }
    try {
      await sql.query(claim);
    } catch (error) {
      if (!isClaimConflict(error, this.options.schema)) throw error;
      throw this.rolledBackByCheckBack(half, error);
    }
    await this.step('row-inserted', half);
  }

  private rolledBackByCheckBack(half: MqHalfMessage, cause: unknown): OutboxError {
    return new OutboxError(
      'OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK',
      `the broker's check-back rolled message ${half.messageId} of ${half.topic} back before the local transaction committed`,
      { topic: half.topic, messageId: half.messageId },
      { cause },
    );
  }

  private sendHalf(options: TransactionalMessageOptions, result: unknown, args: unknown[]): Promise<MqHalfMessage> {
    const message = this.messageOf(options, result, args);
    return sendHalfMessage(this.producer, options.topic, message.payload, message.send);
  }

  private messageOf(options: TransactionalMessageOptions, result: unknown, args: unknown[]): { payload: unknown; send: MqSendOptions } {
    const group = typeof options.messageGroup === 'function' ? options.messageGroup(result, ...args) : options.messageGroup;
    return {
      payload: options.body ? options.body(result, ...args) : result,
      send: { tag: options.tag, keys: options.keys?.(result, ...args), messageGroup: group },
    };
  }

  private async step(step: TransactionalMessageStep, half: MqHalfMessage): Promise<void> {
    await this.options.hooks.onStep?.(step, { topic: half.topic, messageId: half.messageId });
  }
}
