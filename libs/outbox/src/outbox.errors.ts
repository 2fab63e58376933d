/**
 * Operating errors of @app/outbox (STYLE 10): one class, a stable `code`, context fields.
 * Every code here is documented in docs/errors.md (kept in step by test/error-codes.e2e-spec.ts).
 */
export type OutboxErrorCode =
  /** The half message could not be sent because the broker is unreachable; the local transaction was rolled back. */
  | 'OUTBOX_ERR_BROKER_UNAVAILABLE'
  /** The broker refused the half message (topic missing, not a TRANSACTION topic...); the local transaction was rolled back. */
  | 'OUTBOX_ERR_HALF_SEND_FAILED'
  /** A check-back decided ROLLBACK for this message before the local transaction could commit it. */
  | 'OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK'
  /** Module or decorator options are invalid, or a required provider (TransactionHost, DataSource) is missing. */
  | 'OUTBOX_ERR_INVALID_OPTIONS'
  /** A @TransactionalMessage method was called on an instance OutboxModule did not wire (created with `new`, or before init). */
  | 'OUTBOX_ERR_NOT_WIRED'
  /** sendInTransaction() for a topic that has no @TransactionListener provider. */
  | 'OUTBOX_ERR_NO_LISTENER'
  /** @deprecated No longer raised: the executor gets OutboxModule's OutboxWriter injected. Removed with the next minor release. */
  | 'OUTBOX_ERR_OUTBOX_MODE_UNAVAILABLE'
  /** OutboxWriter.enqueue() (relay/outbox-writer.ts) outside an active transaction. */
  | 'OUTBOX_ERR_NO_TRANSACTION'
  // Best-effort notification (notification/):
  /** `notify()` was called with no active transaction, so the row could outlive a rolled-back change. */
  | 'OUTBOX_ERR_NOTIFY_NO_TRANSACTION'
  /** `notify()` named an endpoint that was never registered. */
  | 'OUTBOX_ERR_NOTIFY_UNKNOWN_ENDPOINT'
  /** An operation named a notification id that does not exist. */
  | 'OUTBOX_ERR_NOTIFY_NOT_FOUND'
  /** Module or endpoint options are invalid (url, secret, retry ladder, timeout). */
  | 'OUTBOX_ERR_NOTIFY_INVALID_OPTIONS'
  /** The SSRF guard refused to connect: the endpoint resolved to a loopback, private, link-local or reserved address. */
  | 'OUTBOX_ERR_NOTIFY_ADDRESS_REFUSED'
  /** A received webhook's signature is missing or matches none of the secrets. */
  | 'OUTBOX_ERR_NOTIFY_SIGNATURE_INVALID'
  /** A received webhook's `webhook-timestamp` is missing or outside the tolerance. */
  | 'OUTBOX_ERR_NOTIFY_TIMESTAMP_OUT_OF_TOLERANCE';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';

  constructor(
    readonly code: OutboxErrorCode,
    message: string,
    /** What the error is about: topic, message id, class and method name; endpoint, notification id, address. */
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The failures after which nothing of the call committed and the same call may succeed later:
 * the broker was unreachable or refused the half message, or a check-back rolled the message
 * back first. In each the local transaction was rolled back. An HTTP service answers them 503
 * (Service Unavailable); anything else is the caller's or the code's problem.
 */
export const RETRYABLE_OUTBOX_ERROR_CODES: ReadonlySet<OutboxErrorCode> = new Set<OutboxErrorCode>([
  'OUTBOX_ERR_BROKER_UNAVAILABLE',
  'OUTBOX_ERR_HALF_SEND_FAILED',
  'OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK',
]);

/** Whether `error` is an OutboxError after which nothing committed and a retry may succeed (RETRYABLE_OUTBOX_ERROR_CODES). */
export function isRetryableOutboxError(error: unknown): error is OutboxError {
  return error instanceof OutboxError && RETRYABLE_OUTBOX_ERROR_CODES.has(error.code);
}

/** An error's stable code (OutboxError, MqError, pg's SQLSTATE), else its name: what a trace event reports. */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : typeof error;
}
