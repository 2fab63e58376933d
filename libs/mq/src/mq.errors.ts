/**
 * Operating errors of @app/mq (STYLE 10): one class, a stable `code`, context fields.
 * Every code here is documented in docs/errors.md (kept in step by test/error-codes.e2e-spec.ts).
 */
export type MqErrorCode =
  /** The broker could not be reached (connect refused, deadline exceeded, UNAVAILABLE). */
  | 'MQ_ERR_BROKER_UNAVAILABLE'
  /** The broker answered a send with an error status (topic not found, type mismatch, too large...). */
  | 'MQ_ERR_SEND_FAILED'
  /** The client is not started yet or already shut down. */
  | 'MQ_ERR_NOT_RUNNING'
  /** Module, producer or consumer options are invalid. */
  | 'MQ_ERR_INVALID_OPTIONS'
  /** The serializer could not turn a payload into a body, or a body into a payload. */
  | 'MQ_ERR_SERIALIZATION'
  /** A second transaction checker for one topic. */
  | 'MQ_ERR_CHECKER_EXISTS'
  /** `@MessagePattern` (request/response) on the RocketMQ transport. */
  | 'MQ_ERR_REQUEST_REPLY_UNSUPPORTED'
  /** A consumer could not start at application bootstrap (broker unreachable, filter refused...); the cause says which. */
  | 'MQ_ERR_CONSUMER_START_FAILED';

export class MqError extends Error {
  override readonly name = 'MqError';

  constructor(
    readonly code: MqErrorCode,
    message: string,
    /** What the error is about: topic, group, message id, broker status code. */
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
