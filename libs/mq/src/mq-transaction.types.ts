import { MqMessage } from './mq-message';

/** A check-back's answer, or a listener's. UNKNOWN makes the broker ask again later. */
export type MqTransactionResolution = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

/** Answers the broker's check-back for half messages of one topic. Must not throw: a throw is UNKNOWN. */
export type MqTransactionChecker = (message: MqMessage<unknown>) => Promise<MqTransactionResolution>;

/** A sent half message: invisible to consumers until commit(); rollback() discards it. */
export interface MqHalfMessage {
  readonly topic: string;
  readonly messageId: string;
  readonly transactionId: string;
  /** EndTransaction(COMMIT). Rejects with an MqError when the broker cannot be told (check-back then decides). */
  commit(): Promise<void>;
  /** EndTransaction(ROLLBACK). */
  rollback(): Promise<void>;
}
