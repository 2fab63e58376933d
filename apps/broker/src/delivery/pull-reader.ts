import { StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { PullResult } from './delivery.types';
import { CompiledFilter } from './filter/filter-expression';

/** One look at a queue for a pull: the result, and whether the pull reached the queue's end. */
export interface PullLook {
  result: PullResult;
  /** Nothing matched and nothing is left to scan: a long poll may wait for new messages. */
  atEnd: boolean;
}

/**
 * Queue-offset consumption (Apache RocketMQ's pull): reads from an explicit offset and changes no
 * group state. Entries whose tag hash the filter rules out are skipped without reading. The
 * result's `nextOffset` is past every entry examined, matched or not, so a consumer that pulls
 * from it never looks at a filtered-out message twice.
 */
export class PullReader {
  constructor(
    private readonly store: MessageStore,
    private readonly maxScanEntries: number,
  ) {}

  async look(topic: string, queueId: number, offset: number, batchSize: number, filter: CompiledFilter): Promise<PullLook> {
    const { minOffset, maxOffset } = this.store.getQueueBounds(topic, queueId);
    if (offset < minOffset || offset > maxOffset) return { result: { status: 'offset-out-of-range', minOffset, maxOffset }, atEnd: false };
    const messages: StoredMessage[] = [];
    const entries = this.store.getQueueEntries(topic, queueId, offset, this.maxScanEntries);
    let nextOffset = offset;
    for (const entry of entries) {
      if (messages.length >= batchSize) break;
      nextOffset = entry.queueOffset + 1;
      if (!filter.matchesTagHash(entry.tagHash)) continue;
      const message = await this.store.readMessage(entry.commitLogOffset, entry.size);
      if (!message) continue;
      message.queueOffset = entry.queueOffset;
      if (filter.matches(message)) messages.push(message);
    }
    const atEnd = messages.length === 0 && nextOffset >= maxOffset;
    return { result: { status: 'ok', messages, nextOffset, minOffset, maxOffset }, atEnd };
  }
}
