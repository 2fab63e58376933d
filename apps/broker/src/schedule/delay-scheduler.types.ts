import { MessageInput } from '../store/message-record';
import { AppendResult } from '../store/message-store';

/**
 * Delayed delivery (schedule/delay-scheduler.ts implements it). A message whose delivery time is
 * in the future is stored in the system topic SCHEDULE_TOPIC_XXXX and re-appended to its real
 * topic-queue when due, with its original message id, keys, tag and properties.
 */
export interface DelaySchedulerApi {
  /** Stores a delayed message durably; resolves like MessageStore.append. */
  schedule(message: MessageInput & { deliveryTimestampMs: number }): Promise<AppendResult>;
  /** Messages waiting (admin, metrics). */
  pendingCount(): number;
  /**
   * Cancels the delayed message `messageId` of `topic` if it is still waiting and not due
   * (RecallMessage): it is never delivered, and the cancellation is on disk before this resolves.
   * 'not-pending' when no such message waits (unknown, already delivered, or due now);
   * 'unavailable' when the scheduler is not running or the cancellation could not be written.
   */
  recall(topic: string, messageId: string): Promise<'recalled' | 'not-pending' | 'unavailable'>;
}

/** RocketMQ's 18 delay levels (messageDelayLevel), level 1 = 1 s ... level 18 = 2 h. */
export const DELAY_LEVELS_MS: readonly number[] = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000,
  7_200_000,
];
