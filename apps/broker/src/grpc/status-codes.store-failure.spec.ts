import pino from 'pino';
import { StoreWriteError } from '../store/store.errors';
import { appendFailureStatus, errorStatus } from './status-codes';

/**
 * A store that cannot write answers as Apache RocketMQ does for PutMessageStatus.SERVICE_NOT_AVAILABLE
 * through its proxy: INTERNAL_SERVER_ERROR, "service not available now", and the one reason.
 */
describe('store-failure statuses', () => {
  it('says the disk is full and that writes resume by themselves', () => {
    const answered = appendFailureStatus({ status: 'store-failed', reason: 'ENOSPC while appending to the commit log', diskFull: true }, 1024);
    expect(answered).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message:
        "service not available now: the broker's disk is full (ENOSPC while appending to the commit log); writes resume by themselves once space is freed",
    });
  });

  it('names an I/O error as such', () => {
    const answered = appendFailureStatus({ status: 'store-failed', reason: 'EIO while checkpointing' }, 1024);
    expect(answered.code).toBe('INTERNAL_SERVER_ERROR');
    expect(answered.message).toMatch(/^service not available now: the message store cannot write \(EIO while checkpointing\)/);
  });

  it('maps a topic or group that could not be persisted the same way, without logging it as a bug', () => {
    const logger = pino({ level: 'silent' });
    const error = jest.spyOn(logger, 'error');
    const answered = errorStatus(
      new StoreWriteError('/config/subscription-groups.json', true, 'ENOSPC while writing subscription-groups.json'),
      logger,
      'ReceiveMessage',
    );
    expect(answered.message).toContain("the broker's disk is full (ENOSPC while writing subscription-groups.json)");
    expect(error).not.toHaveBeenCalled();
  });
});
