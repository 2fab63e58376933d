import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CONTENT_TYPE_PROPERTY, MqEncodedBody, MqProducer } from '@app/mq';
import { OutboxDatabase } from '../outbox-database';
import { OutboxRelayListener } from './outbox-relay-listener';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import {
  claimDueOutboxMessages,
  markOutboxMessageFailed,
  markOutboxMessagesSent,
  ClaimedOutboxRow,
  pruneSentOutboxMessages,
  releaseOutboxMessage,
} from '../sql/outbox.sql';
import { PeriodicPrune, PRUNE_BATCH_ROWS } from '../prune-in-batches';
import { isBrokerUnreachable } from '../transactional-message/send-half-message';
import { OutboxMetrics } from '../outbox.metrics';

/** What one claimed batch came to. */
interface BatchOutcome {
  sent: number;
  /** At least one send failed because the broker could not be reached or the producer was not running. */
  brokerUnavailable: boolean;
}

/**
 * Sends the rows of `mq_outbox` (outbox mode) and marks them sent with the broker's message id.
 *
 * - Wakes on NOTIFY (OutboxRelayListener) and polls every `pollIntervalMs` anyway, so a lost
 *   notification or a dropped LISTEN connection only costs latency.
 * - Claims with `FOR UPDATE SKIP LOCKED` in one short statement that leases the rows
 *   (`available_at` pushed by `leaseMs`): several instances share the work, no transaction stays
 *   open while the broker is called, and a relay that dies mid-send only delays its rows.
 * - Keeps per-message-group order: only the oldest pending row of a group is eligible, so a
 *   group's rows go one after another; rows without a group go in parallel.
 * - The broker being down is normal: rows stay pending, the relay backs off (doubling from
 *   `retryDelayMinMs` to `retryDelayMaxMs`) and catches up when the broker returns. A row the
 *   broker refuses `maxAttempts` times becomes `failed` and stops blocking its group.
 * - Delivery is at-least-once: a relay that crashes after the send and before marking the row
 *   sends it again after the lease. Idempotent consumers absorb that.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly schema: string;
  private readonly relayOptions: ResolvedOutboxOptions['relay'];
  private listener: OutboxRelayListener | undefined;
  private loop: Promise<void> | undefined;
  private readonly pruning: PeriodicPrune;
  private running = false;
  /** Set by a notification; a claim that starts afterwards sees the notified rows. */
  private notified = false;
  private wakeSleeper: (() => void) | undefined;
  private consecutiveFailures = 0;
  private sent = 0;

  constructor(
    private readonly database: OutboxDatabase,
    private readonly producer: MqProducer,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
    private readonly metrics: OutboxMetrics,
  ) {
    this.schema = options.schema;
    this.relayOptions = options.relay;
    const { retentionMs, pruneIntervalMs } = options.relay;
    this.pruning = new PeriodicPrune(
      'sent mq_outbox rows',
      pruneIntervalMs,
      () => database.runner,
      (sql) => pruneSentOutboxMessages(sql, options.schema, retentionMs, PRUNE_BATCH_ROWS),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    if (this.relayOptions.enabled) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Rows this instance has sent since it was created (for metrics and health). */
  get sentTotal(): number {
    return this.sent;
  }

  /** Starts relaying; called at bootstrap unless `relay.enabled` is false. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.listener = new OutboxRelayListener(this.database, this.options.channel, () => this.wake());
    void this.listener.open();
    this.loop = this.run();
    this.pruning.start();
  }

  /** Stops claiming, lets the batch in flight finish (sent rows are marked), closes the LISTEN connection. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pruning.stop();
    this.wake();
    await this.loop;
    await this.listener?.close();
    this.listener = undefined;
  }

  /** Deletes rows sent more than `retentionMs` ago; returns how many. Runs every `pruneIntervalMs`. */
  pruneSent(): Promise<number> {
    return this.pruning.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.notified = false;
      /** Undefined when nothing was due. */
      let outcome: BatchOutcome | undefined;
      try {
        const rows = await claimDueOutboxMessages(this.database.autocommit, this.schema, this.relayOptions.batchSize, this.relayOptions.leaseMs);
        outcome = rows.length === 0 ? undefined : await this.sendBatch(rows);
      } catch (error) {
        // The database itself failed (down, restarting): the same back-off as a broker outage.
        this.logger.warn(`claiming outbox rows failed: ${String(error)}`);
        outcome = { sent: 0, brokerUnavailable: true };
      }
      if (outcome?.brokerUnavailable) {
        this.consecutiveFailures += 1;
        await this.sleep(this.backoffMs(), false);
      } else {
        // Only a batch that reached the broker ends a back-off. An empty claim says nothing of it:
        // the rows given back may not be due yet (their jittered delay a little past the sleep).
        if (outcome) this.consecutiveFailures = 0;
        // After a send, the next row of each group just became eligible: claim again at once.
        if (!outcome || outcome.sent === 0) await this.sleep(this.relayOptions.pollIntervalMs, true);
      }
    }
  }

  /** Sends every claimed row at once: the claim returned at most one row per message group. */
  private async sendBatch(rows: ClaimedOutboxRow[]): Promise<BatchOutcome> {
    const sent: { id: string; messageId: string }[] = [];
    let brokerUnavailable = false;
    await Promise.all(
      rows.map(async (row) => {
        try {
          // The bytes the writer encoded, sent as they are, with the content type it recorded.
          const { [CONTENT_TYPE_PROPERTY]: contentType, ...properties } = row.properties;
          const receipt = await this.producer.send(row.topic, new MqEncodedBody(row.body, contentType), {
            tag: row.tag ?? undefined,
            keys: row.keys.length > 0 ? row.keys : undefined,
            messageGroup: row.message_group ?? undefined,
            properties: Object.keys(properties).length > 0 ? properties : undefined,
            // An overdue delivery time is simply a message for now.
            deliverAt: row.deliver_at && row.deliver_at.getTime() > Date.now() ? row.deliver_at : undefined,
          });
          sent.push({ id: row.id, messageId: receipt.messageId });
        } catch (error) {
          const unavailable = isBrokerUnreachable(error);
          brokerUnavailable ||= unavailable;
          await this.giveBack(row, error, unavailable);
        }
      }),
    );
    await markOutboxMessagesSent(this.database.autocommit, this.schema, sent);
    this.sent += sent.length;
    this.metrics.relayedRows('sent', sent.length);
    return { sent: sent.length, brokerUnavailable };
  }

  private async giveBack(row: ClaimedOutboxRow, error: unknown, brokerUnavailable: boolean): Promise<void> {
    const message = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
    if (!brokerUnavailable && row.attempts >= this.relayOptions.maxAttempts) {
      this.logger.error(`outbox row ${row.id} (topic ${row.topic}) refused ${row.attempts} times, marked failed: ${message}`);
      await markOutboxMessageFailed(this.database.autocommit, this.schema, row.id, message);
      this.metrics.relayedRows('failed');
      return;
    }
    if (!brokerUnavailable) this.logger.warn(`outbox row ${row.id} (topic ${row.topic}) refused, attempt ${row.attempts}: ${message}`);
    await releaseOutboxMessage(this.database.autocommit, this.schema, {
      id: row.id,
      retryDelayMs: this.backoffMs(),
      error: message,
      countAttempt: !brokerUnavailable,
    });
  }

  /** Doubling back-off with up to 20% jitter, so relays restarted together do not retry in step. */
  private backoffMs(): number {
    const { retryDelayMinMs, retryDelayMaxMs } = this.relayOptions;
    const exponent = Math.min(Math.max(this.consecutiveFailures - 1, 0), 20);
    const delay = Math.min(retryDelayMaxMs, retryDelayMinMs * 2 ** exponent);
    return Math.round(delay * (0.8 + Math.random() * 0.2));
  }

  /** Waits `ms`, or less when stopped or (if `wakeOnNotify`) notified, also if the notification came before the wait. */
  private sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (!this.running || (wakeOnNotify && this.notified)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      const wakeSleeper = (): void => {
        if (!this.running || wakeOnNotify) finish();
      };
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = wakeSleeper;
    }).finally(() => {
      this.wakeSleeper = undefined;
    });
  }

  private wake(): void {
    this.notified = true;
    this.wakeSleeper?.();
  }
}
