import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { MqTraceReporter } from '@app/mq';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as sql from '../sql/notification.sql';
import type { TransactionRunner } from '../transaction-runner';
import type { ResolvedNotificationOptions } from './notification.defaults';
import { NotificationMetrics } from './notification.metrics';
import { NOTIFICATION_OPTIONS, NOTIFICATION_TRANSACTION_RUNNER } from './notification.module-definition';
import { nextStep, parseRetryAfter, type NextStep } from './retry-policy';
import { SsrfGuard } from './ssrf-guard';
import { WebhookSender, type WebhookResponse } from './webhook-sender';

const HOUR_MS = 3_600_000;

/**
 * Sends due notifications. Each round claims a batch (FOR UPDATE SKIP LOCKED, with an expiring
 * claim), POSTs them concurrently outside any transaction, then records each attempt and the
 * row's next state in one short transaction. Several instances share the work; a notification
 * is never sent by two of them at once, because a claim outlives the longest request.
 */
@Injectable()
export class NotificationDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationDeliveryWorker.name);
  private readonly sender: WebhookSender;
  private loop?: Promise<void>;
  private stopping = new AbortController();

  constructor(
    @Inject(NOTIFICATION_TRANSACTION_RUNNER) private readonly runner: TransactionRunner,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: ResolvedNotificationOptions,
    private readonly metrics: NotificationMetrics,
    /** Attempts of a notification that belongs to a message go to that message's trace (absent outside MqModule: none). */
    @Optional() private readonly trace?: MqTraceReporter,
  ) {
    this.sender = new WebhookSender(new SsrfGuard(options.allowedAddresses), options.responseExcerptBytes);
  }

  onApplicationBootstrap(): void {
    if (this.options.workerEnabled) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts the polling loop (done at bootstrap unless `workerEnabled` is false). */
  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    this.loop = this.run(this.stopping.signal);
  }

  /** Stops claiming and waits for the round in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.loop = undefined;
  }

  /** One round: claims up to `batchSize` due notifications, sends them, records the results. Returns how many it sent. */
  async runOnce(): Promise<number> {
    const now = this.options.clock.now();
    const token = randomUUID();
    const claimed = await this.runner.inNewTransaction((client) =>
      sql.claimDueNotifications(client, this.options.schema, now, new Date(now.getTime() + this.options.claimTtlMs), token, this.options.batchSize),
    );
    await Promise.all(claimed.map((row) => this.deliver(row, token)));
    return claimed.length;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let sent = 0;
      try {
        sent = await this.runOnce();
      } catch (error) {
        // The database is away: the claimed rows' claims expire and another round takes them.
        this.logger.warn(`notification round failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (sent < this.options.batchSize) await sleep(this.options.pollIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private async deliver(row: sql.ClaimedNotification, token: string): Promise<void> {
    const sentAt = this.options.clock.now();
    // The body is built from the row alone, so every attempt sends the same bytes.
    const body = JSON.stringify({ type: row.event, timestamp: new Date(row.created_at).toISOString(), data: row.payload });
    const response = await this.sender.send({
      url: row.url,
      id: row.id,
      timestampSeconds: Math.floor(sentAt.getTime() / 1000),
      body,
      secrets: row.secrets,
      timeoutMs: row.timeout_ms ?? this.options.timeoutMs,
    });
    this.metrics.recordAttempt(response.statusCode, response.timedOut);
    const step = nextStep(
      { statusCode: response.statusCode, timedOut: response.timedOut, retryAfterMs: parseRetryAfter(response.retryAfter, sentAt) },
      row.attempt_count,
      row.manual,
      { ...this.options, ladderMs: row.retry_ladder_ms ?? this.options.retryLadderMs },
    );
    this.traceAttempt(row, response, step);
    try {
      await this.record(row, token, response, step);
    } catch (error) {
      this.logger.warn(
        `could not record attempt ${row.attempt_count} of ${row.id}: ${error instanceof Error ? error.message : String(error)}; it is retried when its claim expires`,
      );
    }
  }

  /** One attempt as a Notification step of its message's timeline: delivered, retry or failed, with its latency and what went wrong. */
  private traceAttempt(row: sql.ClaimedNotification, response: WebhookResponse, step: NextStep): void {
    const source = row.source_message;
    if (!source || !this.trace?.enabled) return;
    const errorCode =
      step.action === 'delivered'
        ? undefined
        : response.timedOut
          ? 'TIMEOUT'
          : response.statusCode !== undefined
            ? `HTTP_${response.statusCode}`
            : 'CONNECTION_FAILED';
    this.trace.report({
      type: 'Notification',
      timeMs: this.options.clock.now().getTime(),
      messageId: source.messageId,
      topic: source.topic,
      keys: source.keys,
      outcome: step.action,
      durationMs: response.latencyMs,
      endpoint: row.endpoint_id,
      attempt: row.attempt_count,
      ...(errorCode === undefined ? {} : { errorCode }),
    });
  }

  private async record(row: sql.ClaimedNotification, token: string, response: WebhookResponse, step: NextStep): Promise<void> {
    const at = this.options.clock.now();
    const error = response.error ?? (step.action === 'delivered' ? undefined : `HTTP ${response.statusCode}`);
    const disabledReason = await this.runner.inNewTransaction(async (client) => {
      await sql.insertNotificationAttempt(client, this.options.schema, {
        notificationId: row.id,
        attempt: row.attempt_count,
        kind: row.manual ? 'manual' : 'scheduled',
        attemptedAt: at,
        statusCode: response.statusCode,
        latencyMs: response.latencyMs,
        responseExcerpt: response.responseExcerpt,
        error,
        outcome: step.action,
      });
      const owned = await sql.completeNotificationClaim(client, this.options.schema, row.id, token, {
        status: step.action === 'retry' ? 'pending' : step.action,
        at,
        nextAttemptAt: step.action === 'retry' ? new Date(at.getTime() + step.delayMs) : undefined,
        lastError: error,
      });
      if (!owned) this.logger.warn(`claim on ${row.id} expired during attempt ${row.attempt_count}; its result is recorded, its state left to the new claim`);
      if (step.action === 'delivered') return sql.recordEndpointSuccess(client, this.options.schema, row.endpoint_id, at);
      const gone = step.disableEndpoint ? `the endpoint answered 410 Gone at ${at.toISOString()}` : undefined;
      return sql.recordEndpointFailure(client, this.options.schema, row.endpoint_id, at, this.options.disableAfterHours * HOUR_MS, gone);
    });
    if (disabledReason) this.logger.warn(`notification endpoint ${row.endpoint_id} disabled: ${disabledReason}; its notifications wait until it is re-enabled`);
  }
}
