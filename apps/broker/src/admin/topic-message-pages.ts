import { BadRequestException } from '@nestjs/common';
import { StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';

/** Most messages one page of a time-range query holds, whatever `max` asks. */
export const MAX_MESSAGES_PER_PAGE = 100;

/** One page of a topic's messages stored in [sinceMs, untilMs), oldest first, and where the next page starts. */
export interface MessagePage {
  messages: StoredMessage[];
  /** Per queue, the offset the next page reads from; undefined when the range is exhausted. */
  next: Map<number, number> | undefined;
}

/**
 * Reads a page of `topic`'s messages stored in [sinceMs, untilMs) over `queueIds`, oldest first
 * by store time (ties by queue id). Each queue starts at `from` (a cursor's offsets) or at its
 * first offset stored at or after `sinceMs`; the page takes, per queue, a prefix of what it read
 * (a merge by store time), so the next page's offsets are "this queue's start plus what it gave",
 * and no message is repeated or skipped across pages, even when store times tie or step back.
 */
export async function readMessagePage(
  store: MessageStore,
  topic: string,
  queueIds: readonly number[],
  range: { sinceMs: number; untilMs: number; max: number; from?: ReadonlyMap<number, number> },
): Promise<MessagePage> {
  const queues = await Promise.all(
    queueIds.map(async (queueId) => {
      const { minOffset, maxOffset } = store.getQueueBounds(topic, queueId);
      const fromCursor = range.from?.get(queueId);
      const start = Math.max(minOffset, fromCursor ?? (await store.findQueueOffsetByTime(topic, queueId, range.sinceMs)));
      const want = Math.min(range.max, Math.max(0, maxOffset - start));
      const read = want === 0 ? [] : await store.readQueue(topic, queueId, start, want);
      const inRange: StoredMessage[] = [];
      let reachedEnd = start + read.length >= maxOffset;
      for (const message of read) {
        if (message.storeTimestampMs >= range.untilMs) {
          reachedEnd = true;
          break;
        }
        inRange.push(message);
      }
      return { queueId, start, inRange, reachedEnd, taken: 0 };
    }),
  );
  const messages: StoredMessage[] = [];
  while (messages.length < range.max) {
    let best: (typeof queues)[number] | undefined;
    for (const queue of queues) {
      const head = queue.inRange[queue.taken];
      if (head === undefined) continue;
      const bestHead = best?.inRange[best.taken];
      if (!bestHead || head.storeTimestampMs < bestHead.storeTimestampMs) best = queue;
    }
    if (!best) break;
    messages.push(best.inRange[best.taken]);
    best.taken++;
  }
  const exhausted = queues.every((queue) => queue.taken === queue.inRange.length && queue.reachedEnd);
  if (exhausted) return { messages, next: undefined };
  const next = new Map<number, number>();
  for (const queue of queues) next.set(queue.queueId, queue.start + queue.taken);
  return { messages, next };
}

/** The opaque cursor of a page's `next`: base64url of the per-queue offsets. */
export function encodeCursor(next: ReadonlyMap<number, number>): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(next)), 'utf8').toString('base64url');
}

/** A cursor back into per-queue offsets; 400 when it is not one this API made. */
export function decodeCursor(cursor: string): Map<number, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BadRequestException(`cursor ${JSON.stringify(cursor)} is not a cursor of this API`);
  const offsets = new Map<number, number>();
  for (const [queue, offset] of Object.entries(parsed)) {
    const queueId = Number(queue);
    if (!/^\d+$/.test(queue) || typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw new BadRequestException(`cursor ${JSON.stringify(cursor)} is not a cursor of this API`);
    }
    offsets.set(queueId, offset);
  }
  return offsets;
}
