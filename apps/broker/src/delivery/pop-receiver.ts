import { QueueEntry, StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { InFlightDelivery, QueueConsumeState } from './consumer-group-state';
import { DeadLetterQueue } from './dead-letter-queue';
import { DeliveryIdSequence } from './delivery-id-sequence';
import { DeliveryOptions } from './delivery-options';
import { ReceivedMessage } from './delivery.types';
import { CompiledFilter } from './filter/filter-expression';
import { GroupStateTable } from './group-state-table';
import { LongPollWaiters } from './long-poll';
import { encodeReceiptHandle } from './receipt-handle';
import { readQueueMessage } from './read-queue-message';

/** What one receive asks of every queue it visits. */
export interface PopContext {
  group: string;
  filter: CompiledFilter;
  /** FIFO group: one in-flight message per message group. */
  fifo: boolean;
  maxDeliveryAttempts: number;
  invisibleDurationMs: number;
}

/** Consume-queue entries fetched per step of a scan. */
const SCAN_CHUNK_ENTRIES = 256;

/**
 * The receive (pop) step on one queue of one group. In order:
 * 1. in-flight messages whose invisible time passed are delivered again with attempt + 1, or,
 *    past the group's `maxDeliveryAttempts`, moved to the dead-letter queue and counted consumed
 *    (Apache RocketMQ's PopMessageResultFilterImpl: reconsumeTimes >= maxAttempts -> TO_DLQ);
 * 2. FIFO: the oldest waiting message of each message group that nothing holds back any more;
 * 3. messages never looked at, from `nextOffset`: entries whose tag hash the filter rules out
 *    are skipped without reading; the rest are read and checked with `matches`. A message the
 *    filter rejects counts as consumed by the group (it advances the frontier). FIFO: a message
 *    whose group has an earlier message in flight or waiting is held back in offset order.
 *
 * Every state change is synchronous; reads happen under the queue's lock, so concurrent
 * receives of one queue take turns, while acks (synchronous) go on meanwhile.
 */
export class PopReceiver {
  constructor(
    private readonly store: MessageStore,
    private readonly table: GroupStateTable,
    private readonly deadLetters: DeadLetterQueue,
    private readonly waiters: LongPollWaiters,
    private readonly ids: DeliveryIdSequence,
    private readonly options: DeliveryOptions,
  ) {}

  /**
   * False when receive() would find nothing on this queue: no retention gap to skip, no expired
   * in-flight message, no message held back, no entry past the scan position. Checked without
   * the lock, so a receive can pass over idle queues without a promise: every send wakes all the
   * topic's long polls, each looks at every queue of the topic, and most are idle (at 2,000
   * msgs/s with 4 long polls on 8 queues the async calls on idle queues were a third of the
   * broker's allocations). A scan in progress has already moved the scan position past what it
   * claimed, and gives entries back only with a notification (scanNew).
   */
  mayHaveMessages(state: QueueConsumeState, nowMs: number): boolean {
    const { minOffset, maxOffset } = this.store.getQueueBounds(state.topic, state.queueId);
    return state.nextOffset < maxOffset || state.heldMessages > 0 || state.mayHaveExpired(nowMs) || minOffset > state.consumerOffset;
  }

  /** Adds up to `want - into.length` messages of the queue to `into`; true if entries were left unscanned. */
  async receive(context: PopContext, state: QueueConsumeState, want: number, into: ReceivedMessage[]): Promise<boolean> {
    const release = await state.lock();
    try {
      const nowMs = this.options.now();
      this.skipRetentionGap(state);
      if (state.mayHaveExpired(nowMs)) await this.redeliverExpired(context, state, nowMs, want, into);
      // Not only for FIFO groups: messages held while a group was FIFO must not be stranded if it stops being one.
      if (state.heldMessages > 0) await this.releaseHeld(context, state, nowMs, want, into);
      return await this.scanNew(context, state, nowMs, want, into);
    } finally {
      release();
    }
  }

  /** Retention removed messages the group never finished: they count as consumed. */
  private skipRetentionGap(state: QueueConsumeState): void {
    const { minOffset } = this.store.getQueueBounds(state.topic, state.queueId);
    if (minOffset <= state.consumerOffset) return;
    state.moveTo(minOffset);
    this.table.touch();
  }

  private async redeliverExpired(context: PopContext, state: QueueConsumeState, nowMs: number, want: number, into: ReceivedMessage[]): Promise<void> {
    const expired: number[] = [];
    state.takeExpired(nowMs, want - into.length, expired);
    for (const offset of expired) {
      const delivery = state.inFlight.get(offset) as InFlightDelivery;
      if (delivery.attempts >= context.maxDeliveryAttempts) {
        await this.deadLetter(context.group, state, offset, delivery, nowMs);
        continue;
      }
      delivery.attempts++;
      this.arm(state, delivery, nowMs, context.invisibleDurationMs);
      await this.readAndHandOut(state, offset, delivery, nowMs, context.invisibleDurationMs, into);
    }
  }

  private async releaseHeld(context: PopContext, state: QueueConsumeState, nowMs: number, want: number, into: ReceivedMessage[]): Promise<void> {
    const released: Array<{ offset: number; messageGroup: string }> = [];
    state.takeReleasable(want - into.length, released);
    for (const { offset, messageGroup } of released) {
      const delivery: InFlightDelivery = { deliveryId: this.ids.next(), attempts: 1, invisibleUntilMs: nowMs + context.invisibleDurationMs, messageGroup };
      state.deliver(offset, delivery);
      this.table.touch();
      await this.readAndHandOut(state, offset, delivery, nowMs, context.invisibleDurationMs, into);
    }
  }

  /** Scans new entries in chunks until the batch is full, the queue ends, or the budget is spent. */
  private async scanNew(context: PopContext, state: QueueConsumeState, nowMs: number, want: number, into: ReceivedMessage[]): Promise<boolean> {
    let budget = this.options.maxScanEntriesPerRequest;
    while (into.length < want && budget > 0) {
      const window = this.options.maxUnackedMessagesPerQueue - state.unackedSpan;
      if (window <= 0) return false;
      const entries = this.store.getQueueEntries(state.topic, state.queueId, state.nextOffset, Math.min(budget, window, SCAN_CHUNK_ENTRIES));
      if (entries.length === 0) return false;
      // Claim entries up to the one that completes the batch, so nothing is claimed and left undecided.
      let claimed = 0;
      let candidates = 0;
      while (claimed < entries.length && candidates < want - into.length) {
        if (context.filter.matchesTagHash(entries[claimed].tagHash)) candidates++;
        claimed++;
      }
      budget -= claimed;
      state.beginScan(entries[claimed - 1].queueOffset);
      let messages: Array<StoredMessage | undefined>;
      try {
        messages = await this.readCandidates(context.filter, entries, claimed);
      } catch (error) {
        // Nothing was decided: give the entries back to the next scan, and wake the long polls
        // that passed over this queue meanwhile (mayHaveMessages saw them claimed).
        state.abandonScan();
        this.waiters.notify(state.topic);
        throw error;
      }
      this.decide(context, state, entries, claimed, messages, nowMs, into);
      state.endScan();
      this.table.touch();
    }
    return budget <= 0 && state.nextOffset < this.store.getQueueBounds(state.topic, state.queueId).maxOffset;
  }

  /** Reads the claimed entries the tag hash lets through, in one batch; undefined for the rest. */
  private async readCandidates(filter: CompiledFilter, entries: QueueEntry[], count: number): Promise<Array<StoredMessage | undefined>> {
    const candidates: QueueEntry[] = [];
    const positions: number[] = [];
    for (let i = 0; i < count; i++) {
      if (!filter.matchesTagHash(entries[i].tagHash)) continue;
      candidates.push(entries[i]);
      positions.push(i);
    }
    const read = await this.store.readEntries(candidates);
    const messages = new Array<StoredMessage | undefined>(count);
    for (let i = 0; i < positions.length; i++) messages[positions[i]] = read[i];
    return messages;
  }

  /** Decides every claimed entry at once (synchronously), in offset order. */
  private decide(
    context: PopContext,
    state: QueueConsumeState,
    entries: QueueEntry[],
    count: number,
    messages: Array<StoredMessage | undefined>,
    nowMs: number,
    into: ReceivedMessage[],
  ): void {
    for (let i = 0; i < count; i++) {
      const offset = entries[i].queueOffset;
      const message = messages[i];
      // Filtered out (by tag hash, or on the read message), or removed by retention meanwhile.
      if (!message || !context.filter.matches(message)) {
        state.finish(offset);
        continue;
      }
      const messageGroup = context.fifo ? message.messageGroup : undefined;
      if (messageGroup !== undefined && state.isGroupBlocked(messageGroup)) {
        state.hold(offset, messageGroup);
        continue;
      }
      const delivery: InFlightDelivery = { deliveryId: this.ids.next(), attempts: 1, invisibleUntilMs: nowMs + context.invisibleDurationMs, messageGroup };
      state.deliver(offset, delivery);
      into.push(this.handOut(state, message, delivery, nowMs, context.invisibleDurationMs));
    }
  }

  /** Gives an in-flight message a new delivery id and invisible time. */
  private arm(state: QueueConsumeState, delivery: InFlightDelivery, nowMs: number, invisibleDurationMs: number): void {
    delivery.deliveryId = this.ids.next();
    delivery.invisibleUntilMs = nowMs + invisibleDurationMs;
    state.noteInvisibleUntil(delivery.invisibleUntilMs);
    this.table.touch();
  }

  private async readAndHandOut(
    state: QueueConsumeState,
    offset: number,
    delivery: InFlightDelivery,
    nowMs: number,
    invisibleDurationMs: number,
    into: ReceivedMessage[],
  ): Promise<void> {
    const message = await readQueueMessage(this.store, state.topic, state.queueId, offset);
    if (message) {
      into.push(this.handOut(state, message, delivery, nowMs, invisibleDurationMs));
    } else if (state.inFlight.get(offset) === delivery) {
      // Retention removed it: nothing left to deliver.
      this.finish(state, offset);
    }
  }

  private handOut(state: QueueConsumeState, message: StoredMessage, delivery: InFlightDelivery, nowMs: number, invisibleDurationMs: number): ReceivedMessage {
    const receiptHandle = encodeReceiptHandle({
      topic: state.topic,
      queueId: state.queueId,
      queueOffset: message.queueOffset,
      deliveryId: delivery.deliveryId,
      receivedAtMs: nowMs,
      invisibleDurationMs,
    });
    return {
      message,
      receiptHandle,
      deliveryAttempt: delivery.attempts,
      invisibleUntilMs: delivery.invisibleUntilMs,
      queueId: state.queueId,
      queueOffset: message.queueOffset,
    };
  }

  /**
   * Moves an expired message that used up its attempts to the dead-letter queue. It stays in
   * flight (invisible for `deadLetterRetryDelayMs`) until the copy is appended, so a failed
   * append is tried again rather than losing the message.
   */
  private async deadLetter(group: string, state: QueueConsumeState, offset: number, delivery: InFlightDelivery, nowMs: number): Promise<void> {
    this.arm(state, delivery, nowMs, this.options.deadLetterRetryDelayMs);
    const message = await readQueueMessage(this.store, state.topic, state.queueId, offset);
    const result = message ? await this.deadLetters.forward(group, message, delivery.attempts) : { status: 'ok' };
    if (result.status === 'ok' && state.inFlight.get(offset) === delivery) this.finish(state, offset);
  }

  /** Finishes an offset; wakes waiters when that let a FIFO message group go on or opened a full window. */
  finish(state: QueueConsumeState, offset: number): void {
    const windowWasFull = state.unackedSpan >= this.options.maxUnackedMessagesPerQueue;
    if (state.finish(offset) || windowWasFull) this.waiters.notify(state.topic);
    this.table.touch();
  }
}
