import { LoggerService } from '@nestjs/common';
import { MqTransactionResolution } from '@app/mq';
import { insertRolledBackIfAbsent, selectTransactionStatus, setLocalLockTimeout } from '../sql/transaction.sql';
import { TransactionRunner } from '../transaction-runner';

/** PostgreSQL's lock_not_available: the lock timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The automatic, race-free check-back for @TransactionalMessage topics (DESIGN.md section 4):
 * claim the message as rolled back unless the local transaction already claimed it as
 * committed, then answer what the row says. PostgreSQL's unique index serialises the two
 * claims, so whichever inserts first decides, and the loser's insert conflicts (the check-back's
 * quietly, the local transaction's with an error that rolls it back).
 *
 * Never answers COMMIT without reading 'committed': a local transaction still holding the row
 * past the lock timeout, a database that is down, a missing table all answer UNKNOWN, and the
 * broker asks again later.
 */
export class TransactionCheckBack {
  constructor(
    private readonly runner: TransactionRunner,
    private readonly schema: string,
    private readonly lockTimeoutMs: number,
    private readonly logger: LoggerService,
  ) {}

  async resolve(topic: string, messageId: string): Promise<MqTransactionResolution> {
    try {
      const status = await this.runner.inNewTransaction(async (sql) => {
        await setLocalLockTimeout(sql, this.lockTimeoutMs);
        await insertRolledBackIfAbsent(sql, this.schema, messageId, topic);
        return selectTransactionStatus(sql, this.schema, messageId);
      });
      if (status === 'committed') return 'COMMIT';
      if (status === 'rolled_back') return 'ROLLBACK';
      this.logger.error(`check-back of ${topic}/${messageId}: no mq_transaction row after inserting one; answering UNKNOWN`);
      return 'UNKNOWN';
    } catch (error) {
      if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
        this.logger.warn(`check-back of ${topic}/${messageId}: the local transaction still holds its row after ${this.lockTimeoutMs} ms; answering UNKNOWN`);
      } else {
        this.logger.error(`check-back of ${topic}/${messageId} failed; answering UNKNOWN: ${(error as Error).message ?? error}`);
      }
      return 'UNKNOWN';
    }
  }
}
