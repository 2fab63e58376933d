/**
 * Operating errors of best-effort notification (STYLE 10): one class, a stable `code`, context
 * fields. Every code is documented in docs/errors.md, "libs/outbox: best-effort notification".
 */
export type NotificationErrorCode =
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

export class NotificationError extends Error {
  override readonly name = 'NotificationError';

  constructor(
    readonly code: NotificationErrorCode,
    message: string,
    /** What the error is about: endpoint id, notification id, address, header. */
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
