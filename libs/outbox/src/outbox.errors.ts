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
  /** mode 'outbox' is used but the OutboxWriter provider is not registered (OutboxModule provides it). */
  | 'OUTBOX_ERR_OUTBOX_MODE_UNAVAILABLE'
  /** OutboxWriter.enqueue() (outbox-writer.ts) outside an active transaction. */
  | 'OUTBOX_ERR_NO_TRANSACTION';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';

  constructor(
    readonly code: OutboxErrorCode,
    message: string,
    /** What the error is about: topic, message id, class and method name. */
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
