import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import * as sql from '../sql/notification.sql';
import type { SqlClient, TransactionRunner } from '../transaction-runner';
import { OutboxError } from '../outbox.errors';
import type { ResolvedNotificationOptions } from './notification.defaults';
import { NOTIFICATION_OPTIONS, NOTIFICATION_TRANSACTION_RUNNER } from './notification.module-definition';
import { currentNotificationSource, noteNotificationCreated } from './notification-source';
import { assertWebhookSecrets } from './webhook-signature';

/** What `notify()` takes. */
export interface NotifyRequest {
  /** Id of a registered endpoint (registerEndpoint). */
  endpoint: string;
  /** Event type, sent as `type` in the body (`payment.succeeded`). */
  event: string;
  /** Any JSON value, sent as `data`. */
  payload: unknown;
  /** The same key twice gives one notification (`payment:<id>:succeeded`). */
  idempotencyKey: string;
}

/**
 * The sender's API: notify() inside the business transaction, endpoint registration, the
 * circuit breaker's reset, and the dead-letter tools (list failed, re-send by hand).
 */
@Injectable()
export class NotificationService {
  constructor(
    @Inject(NOTIFICATION_TRANSACTION_RUNNER) private readonly runner: TransactionRunner,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: ResolvedNotificationOptions,
  ) {}

  /**
   * Writes the notification in the caller's transaction, so it exists iff the business change
   * commits; the worker sends it after the commit. Called from an @IdempotentConsumer handler or
   * inside a @TransactionalMessage method, it belongs to that message: each delivery attempt is
   * then a Notification step of the message's trace (notification-source.ts). Returns the notification id (the
   * `webhook-id`) and whether this call created it.
   */
  async notify(request: NotifyRequest): Promise<{ id: string; created: boolean }> {
    if (!this.runner.isTransactionActive()) {
      throw new OutboxError('OUTBOX_ERR_NOTIFY_NO_TRANSACTION', 'notify() must run inside the business transaction (@Transactional or @BestEffortNotify)', {
        endpoint: request.endpoint,
      });
    }
    return this.run(async (client) => {
      // Checked first: a foreign-key violation would abort the caller's transaction, this does not.
      if (!(await sql.findNotificationEndpoint(client, this.options.schema, request.endpoint))) {
        throw new OutboxError('OUTBOX_ERR_NOTIFY_UNKNOWN_ENDPOINT', `unknown notification endpoint ${request.endpoint}`, { endpoint: request.endpoint });
      }
      const source = currentNotificationSource();
      const result = await sql.insertNotification(client, this.options.schema, {
        id: `msg_${randomUUID().replace(/-/g, '')}`,
        endpointId: request.endpoint,
        event: request.event,
        payload: request.payload,
        idempotencyKey: request.idempotencyKey,
        now: this.options.clock.now(),
        sourceMessage: source,
      });
      // In a local transaction of @TransactionalMessage the message id comes after: linked then.
      if (result.created && !source) noteNotificationCreated(result.id);
      return result;
    });
  }

  /** Creates or updates an endpoint. Secrets are `whsec_` + base64; list the new one first during rotation. */
  async registerEndpoint(endpoint: sql.NewNotificationEndpoint): Promise<void> {
    assertEndpoint(endpoint, this.options.claimTtlMs);
    await this.run((client) => sql.upsertNotificationEndpoint(client, this.options.schema, endpoint, this.options.clock.now()));
  }

  async getEndpoint(id: string): Promise<sql.NotificationEndpointRow | undefined> {
    return this.run((client) => sql.findNotificationEndpoint(client, this.options.schema, id));
  }

  /** Re-enables an endpoint the breaker or a 410 disabled; its waiting notifications become due now. */
  async enableEndpoint(id: string): Promise<void> {
    const found = await this.run((client) => sql.enableNotificationEndpoint(client, this.options.schema, id, this.options.clock.now()));
    if (!found) throw new OutboxError('OUTBOX_ERR_NOTIFY_UNKNOWN_ENDPOINT', `unknown notification endpoint ${id}`, { endpoint: id });
  }

  async getNotification(id: string): Promise<sql.NotificationRow | undefined> {
    return this.run((client) => sql.findNotification(client, this.options.schema, id));
  }

  async listAttempts(notificationId: string): Promise<sql.NotificationAttemptRow[]> {
    return this.run((client) => sql.listNotificationAttempts(client, this.options.schema, notificationId));
  }

  /** Notifications that used up their ladder (the dead letters), oldest first. */
  async listFailed(filter: { endpoint?: string; limit?: number } = {}): Promise<sql.NotificationRow[]> {
    return this.run((client) => sql.listFailedNotifications(client, this.options.schema, filter.endpoint ?? null, filter.limit ?? 100));
  }

  /** Re-sends one failed or delivered notification once, now. */
  async resend(notificationId: string): Promise<void> {
    const found = await this.run((client) => sql.resendNotification(client, this.options.schema, notificationId, this.options.clock.now()));
    if (!found) throw new OutboxError('OUTBOX_ERR_NOTIFY_NOT_FOUND', `no failed or delivered notification ${notificationId}`, { notificationId });
  }

  /** Re-sends every failed notification of an endpoint created in [from, to); delivered ones are skipped. Returns how many. */
  async resendFailed(endpoint: string, range: { from: Date; to: Date }): Promise<number> {
    return this.run((client) => sql.resendFailedNotificationsOfEndpoint(client, this.options.schema, endpoint, range.from, range.to, this.options.clock.now()));
  }

  /** Runs SQL in the caller's transaction when there is one, else in a transaction of its own. */
  private run<R>(work: (sql: SqlClient) => Promise<R>): Promise<R> {
    return this.runner.inTransaction(work);
  }
}

function assertEndpoint(endpoint: sql.NewNotificationEndpoint, claimTtlMs: number): void {
  const invalid = (reason: string) => new OutboxError('OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', `endpoint ${endpoint.id}: ${reason}`, { endpoint: endpoint.id });
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw invalid(`url ${JSON.stringify(endpoint.url)} does not parse`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url must be http or https');
  assertWebhookSecrets(endpoint.secrets);
  if (endpoint.retryLadderMs?.some((delay) => !Number.isInteger(delay) || delay < 0)) throw invalid('retryLadderMs must be non-negative integers');
  if (endpoint.timeoutMs !== undefined && (!Number.isInteger(endpoint.timeoutMs) || endpoint.timeoutMs <= 0))
    throw invalid('timeoutMs must be a positive integer');
  // A send outliving its claim could be repeated by another worker while still in flight.
  if ((endpoint.timeoutMs ?? 0) >= claimTtlMs) throw invalid(`timeoutMs must be below the claim's ${claimTtlMs} ms`);
}
