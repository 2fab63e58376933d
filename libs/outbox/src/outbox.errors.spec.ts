import { isRetryableOutboxError, OutboxError, type OutboxErrorCode, RETRYABLE_OUTBOX_ERROR_CODES } from './outbox.errors';

describe('isRetryableOutboxError', () => {
  it('is true for the failures after which nothing committed: broker unreachable or refusing the half message, check-back rollback first', () => {
    expect([...RETRYABLE_OUTBOX_ERROR_CODES].sort()).toEqual([
      'OUTBOX_ERR_BROKER_UNAVAILABLE',
      'OUTBOX_ERR_HALF_SEND_FAILED',
      'OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK',
    ]);
    for (const code of RETRYABLE_OUTBOX_ERROR_CODES) expect(isRetryableOutboxError(new OutboxError(code, 'x'))).toBe(true);
  });

  it('is false for configuration and programming errors, other errors and non-errors', () => {
    const notRetryable: OutboxErrorCode[] = [
      'OUTBOX_ERR_INVALID_OPTIONS',
      'OUTBOX_ERR_NOT_WIRED',
      'OUTBOX_ERR_NO_TRANSACTION',
      'OUTBOX_ERR_NOTIFY_UNKNOWN_ENDPOINT',
    ];
    for (const code of notRetryable) expect(isRetryableOutboxError(new OutboxError(code, 'x'))).toBe(false);
    const lookalike = Object.assign(new Error('x'), { code: 'OUTBOX_ERR_BROKER_UNAVAILABLE' });
    expect(isRetryableOutboxError(lookalike)).toBe(false);
    expect(isRetryableOutboxError(undefined)).toBe(false);
  });
});
