import { tagHashCode } from '../store/message-properties';

/**
 * The queue a message group hashes to: Java's String.hashCode modulo the write queues, as the
 * proxy's SendMessageQueueSelector does. The publisher (publishing/publish-rules.ts,
 * `writeQueueOf`) puts every message of a group there, whatever queue the client named: every
 * message of a group lands in one queue, which is what keeps them in order, even from clients that
 * pick queue 0 for everything (rocketmq-client-nodejs 1.0.8).
 */
export function queueForMessageGroup(messageGroup: string, writeQueueNums: number): number {
  const hash = tagHashCode(messageGroup);
  return ((hash % writeQueueNums) + writeQueueNums) % writeQueueNums;
}
