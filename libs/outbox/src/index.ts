/**
 * @app/outbox: the TypeORM/PostgreSQL side of transactional messaging (DESIGN.md section 4):
 * @TransactionalMessage, automatic check-back, idempotent consumers, the outbox relay and
 * best-effort notification. This is the package's public API; later issues fill it, and until
 * then it exports only its version.
 */

/** Version of @app/outbox; follows the repository's package.json version. */
export const OUTBOX_VERSION = '0.1.0';

// --- Best-effort notification (webhooks): helper NOTIFY ---

/** The module: `NotificationModule.forRoot({ workerEnabled, retryLadderMs, allowedAddresses, clock, ... })`; extras `dataSourceName`, `transactionConnectionName`, `isGlobal`. */
export { NotificationModule } from './notification/notification.module';
/** Injection tokens: resolved options, the prom-client Registry with the metrics (expose it on /metrics), the TransactionRunner used. */
export { NOTIFICATION_OPTIONS, NOTIFICATION_METRICS_REGISTRY, NOTIFICATION_TRANSACTION_RUNNER } from './notification/notification.module-definition';
/** Options of NotificationModule, their defaults (the WeChat Pay ladder, 10 s timeout, 120 h breaker) and the resolved type. */
export type { NotificationModuleOptions } from './notification/notification.options';
export { NOTIFICATION_DEFAULTS, DEFAULT_RETRY_LADDER_MS, type ResolvedNotificationOptions } from './notification/notification.defaults';
/** Notify after a provider method succeeds, in the method's transaction (wired by NotificationModule). */
export { BestEffortNotify, type BestEffortNotifyOptions } from './notification/best-effort-notify.decorator';
/** notify() inside the business transaction; endpoints; failed listing and manual re-send. */
export { NotificationService, type NotifyRequest } from './notification/notification.service';
/** The delivery worker (started at bootstrap unless `workerEnabled: false`; `runOnce()` for tests and cron-style use). */
export { NotificationDeliveryWorker } from './notification/notification-delivery.worker';
/** Where the notification code reads the time; ManualClock for tests that walk the ladder. */
export { systemClock, ManualClock, type NotificationClock } from './notification/notification-clock';
/** The typed error of notification (codes `OUTBOX_ERR_NOTIFY_*`, docs/errors.md). */
export { NotificationError, type NotificationErrorCode } from './notification/notification.errors';
/** Standard Webhooks signing: a new `whsec_` secret, the signature header. */
export { generateWebhookSecret, signWebhook } from './notification/webhook-signature';
/** Receiver: verify signature and timestamp on the raw body (function, and a guard needing `NestFactory.create(AppModule, { rawBody: true })`). */
export { verifyWebhook, type VerifiedWebhook, type WebhookVerifyOptions } from './notification/webhook-verifier';
export { WebhookSignatureGuard } from './notification/webhook-signature.guard';
/** Receiver: run a handler once per webhook-id (or business key) through `mq_consumed`. */
export { WebhookInbox } from './notification/webhook-inbox';
/** Receiver: query the sender for records whose notification is overdue, applying each result once. */
export { NotificationReconciler, type ReconcileOptions, type ReconcileReport } from './notification/notification-reconciler';
/** The SSRF guard the worker connects through (usable for other outbound calls to user-given URLs). */
export { SsrfGuard } from './notification/ssrf-guard';
/** Row types of `mq_notification_endpoint`, `mq_notification` and `mq_notification_attempt`. */
export type { NotificationEndpointRow, NotificationRow, NotificationAttemptRow, NotificationStatus, NewNotificationEndpoint } from './sql/notification.sql';
