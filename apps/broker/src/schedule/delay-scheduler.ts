import { LifecycleState } from '../lifecycle-state';
import { performance } from 'node:perf_hooks';
import { Logger } from 'pino';
import { copyMessage, CopyOriginProperty } from '../publishing/message-copy';
import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { AppendResult, MessageStore } from '../store/message-store';
import { SCHEDULE_TOPIC } from '../topics/topic-config';
import { DELAY_SCHEDULER_DEFAULTS, DelaySchedulerSettings } from './delay-scheduler.defaults';
import { DelaySchedulerApi } from './delay-scheduler.types';
import { MinHeap } from '../common/min-heap';
import { ScheduleProgress } from './schedule-progress';

/** Properties recording where a delayed message goes (RocketMQ's MessageConst names). */
export const REAL_TOPIC_PROPERTY = CopyOriginProperty.RealTopic;
export const REAL_QUEUE_ID_PROPERTY = CopyOriginProperty.RealQueueId;
/** The schedule topic's only queue. */
export const SCHEDULE_QUEUE_ID = 0;

export interface DelaySchedulerOptions extends Partial<DelaySchedulerSettings> {
  /** Where the progress file lives (the broker's store directory). */
  stateDir: string;
  /** Wall clock in ms since the epoch; tests inject one. Defaults to Date.now. */
  now?: () => number;
}

/** What open() found; also logged. */
export interface DelaySchedulerOpenReport {
  /** Messages waiting after open. */
  pending: number;
  /** Of those, already due (their time passed while the broker was down): delivered at once. */
  overdue: number;
  /** Undelivered messages the store no longer holds (retention deleted their segment). */
  lost: number;
  durationMs: number;
}

/**
 * Delayed delivery. schedule() stores a message in SCHEDULE_TOPIC_XXXX queue 0 with its real
 * topic and queue id in REAL_TOPIC / REAL_QID; when it is due, the message is appended to its
 * real topic-queue as a normal message with its original id, keys, tag, message group, delivery
 * timestamp, born time, user properties (without REAL_*) and body.
 *
 * Pending messages sit in a min-heap of (due time, schedule-queue offset); one timer is set for
 * the earliest (capped at maxTimerDelayMs), so an idle broker delivers within a few ms of the due
 * time without polling. A run re-appends at most maxDeliveriesPerRun messages, then yields.
 *
 * Progress (ScheduleProgress) is the schedule-queue offset below which everything was delivered
 * plus the delivered offsets above it, written atomically at most every progressWriteIntervalMs
 * after deliveries and at close. open() reads the schedule queue from that frontier, skips what
 * was delivered, and rebuilds the heap; messages that fell due while the broker was down go out
 * in the first run.
 *
 * Delivery is at least once: a crash after a re-append and before the progress write that
 * records it delivers the message again after restart, with the same message id (consumers
 * deduplicate by id, as with any RocketMQ redelivery).
 */
export class DelayScheduler implements DelaySchedulerApi {
  private readonly settings: DelaySchedulerSettings;
  private readonly now: () => number;
  private readonly progress: ScheduleProgress;
  /** Schedule-queue offsets of the delivery run in progress. */
  private readonly runOffsets = new Set<number>();
  /** Heap entries of recalled messages, not yet popped (skipped when due). */
  private recalledInHeap = 0;
  private readonly heap = new MinHeap<DueEntry>(dueFirst);
  private currentState: LifecycleState = LifecycleState.Created;
  /** Taken from the heap by the current run and not yet delivered or put back. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Wall-clock time the armed timer was set for. */
  private timerAtMs = Number.POSITIVE_INFINITY;
  private progressTimer: NodeJS.Timeout | undefined;
  private currentRun: Promise<number> | undefined;
  /** After the store refused a re-append, no run before this wall-clock time. */
  private retryAfterMs = 0;

  constructor(
    private readonly store: MessageStore,
    options: DelaySchedulerOptions,
    private readonly logger: Logger,
  ) {
    const { stateDir, now, ...settings } = options;
    this.settings = { ...DELAY_SCHEDULER_DEFAULTS, ...settings };
    this.now = now ?? Date.now;
    this.progress = new ScheduleProgress(stateDir);
  }

  get state(): LifecycleState {
    return this.currentState;
  }

  /** Loads progress and the pending messages; the store must be open. */
  async open(): Promise<DelaySchedulerOpenReport> {
    if (this.currentState !== LifecycleState.Created) throw new Error(`delay scheduler cannot be opened in state ${this.currentState}`);
    this.currentState = LifecycleState.Loading;
    try {
      return await this.load();
    } catch (error) {
      this.currentState = LifecycleState.Closed;
      throw error;
    }
  }

  private async load(): Promise<DelaySchedulerOpenReport> {
    const startedAt = performance.now();
    await this.progress.load();
    const bounds = this.store.getQueueBounds(SCHEDULE_TOPIC, SCHEDULE_QUEUE_ID);
    if (this.progress.frontierOffset > bounds.maxOffset) {
      this.logger.warn(
        { frontierOffset: this.progress.frontierOffset, maxOffset: bounds.maxOffset },
        'schedule queue is shorter than the delay progress: progress cut back to the queue',
      );
    }
    this.progress.truncateTo(bounds.maxOffset);
    let lost = this.markLost(this.progress.frontierOffset, bounds.minOffset);
    this.progress.advanceTo(bounds.minOffset);
    const nowMs = this.now();
    let overdue = 0;
    for (let offset = this.progress.frontierOffset; offset < bounds.maxOffset; offset += this.settings.recoveryPageSize) {
      const pageEnd = Math.min(offset + this.settings.recoveryPageSize, bounds.maxOffset);
      let expected = offset;
      for (const message of await this.store.readQueue(SCHEDULE_TOPIC, SCHEDULE_QUEUE_ID, offset, pageEnd - offset)) {
        lost += this.markLost(expected, message.queueOffset);
        expected = message.queueOffset + 1;
        if (this.progress.isDelivered(message.queueOffset)) continue;
        const dueMs = message.deliveryTimestampMs ?? 0;
        if (dueMs <= nowMs) overdue++;
        this.heap.push({ dueMs, queueOffset: message.queueOffset });
      }
      lost += this.markLost(expected, pageEnd);
    }
    if (lost > 0) this.logger.warn({ lost }, 'delayed messages were deleted by retention before delivery');
    await this.progress.persist();
    this.currentState = LifecycleState.Running;
    this.arm();
    const report = { pending: this.heap.size, overdue, lost, durationMs: Math.round(performance.now() - startedAt) };
    this.logger.info(report, 'delay scheduler opened');
    return report;
  }

  /** Stops the timer, waits for the current run and writes the progress. Pending messages stay stored. */
  async close(): Promise<void> {
    if (this.currentState !== LifecycleState.Running) {
      if (this.currentState === LifecycleState.Created) this.currentState = LifecycleState.Closed;
      return;
    }
    this.currentState = LifecycleState.ShuttingDown;
    this.clearTimer();
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    await this.currentRun?.catch(() => undefined);
    try {
      await this.progress.persist();
    } finally {
      this.currentState = LifecycleState.Closed;
    }
  }

  async schedule(message: MessageInput & { deliveryTimestampMs: number }): Promise<AppendResult> {
    if (this.currentState !== LifecycleState.Running) return { status: 'not-running', state: this.currentState };
    const invalid = checkSchedulable(message);
    if (invalid) return { status: 'invalid', reason: invalid };
    const result = await this.store.append(
      copyMessage(message, {
        topic: SCHEDULE_TOPIC,
        queueId: SCHEDULE_QUEUE_ID,
        deliveryTimestampMs: message.deliveryTimestampMs,
        addedProperties: { [REAL_TOPIC_PROPERTY]: message.topic, [REAL_QUEUE_ID_PROPERTY]: String(message.queueId) },
      }),
    );
    // After close the message stays stored and the next open() finds it.
    if (result.status === 'ok' && this.currentState === LifecycleState.Running) {
      this.heap.push({ dueMs: message.deliveryTimestampMs, queueOffset: result.records[0].queueOffset });
      this.arm();
    }
    return result;
  }

  pendingCount(): number {
    return this.heap.size - this.recalledInHeap + this.inFlight;
  }

  async recall(topic: string, messageId: string): Promise<'recalled' | 'not-pending' | 'unavailable'> {
    if (this.currentState !== LifecycleState.Running) return 'unavailable';
    const candidates = (await this.store.queryByMessageId(messageId)).filter(
      (m) => m.topic === SCHEDULE_TOPIC && m.queueOffset >= 0 && m.properties[REAL_TOPIC_PROPERTY] === topic,
    );
    if (this.currentState !== LifecycleState.Running) return 'unavailable';
    // Synchronously from here to markDelivered: a message in the current delivery run is left to
    // it, one not due yet is still in the heap, and the run skips what is marked when it pops it.
    const nowMs = this.now();
    const waiting = candidates.filter(
      (m) => !this.progress.isDelivered(m.queueOffset) && !this.runOffsets.has(m.queueOffset) && (m.deliveryTimestampMs ?? 0) > nowMs,
    );
    if (waiting.length === 0) return 'not-pending';
    for (const message of waiting) this.progress.markDelivered(message.queueOffset);
    this.recalledInHeap += waiting.length;
    try {
      await this.progress.persist();
    } catch (error) {
      // Not delivered in this lifetime; the next progress write records it.
      this.logger.error({ err: error, topic, messageId }, 'a recall could not be written');
      return 'unavailable';
    }
    this.logger.info({ topic, messageId, queueOffsets: waiting.map((m) => m.queueOffset) }, 'delayed message recalled');
    return 'recalled';
  }

  /**
   * Re-appends the messages due now, at most maxDeliveriesPerRun; resolves with how many were
   * delivered. The timer calls it; calling it directly (tests with an injected clock) joins a
   * run already under way instead of starting a second one.
   */
  deliverDue(): Promise<number> {
    if (this.currentRun) return this.currentRun;
    const run = this.runOnce().finally(() => {
      this.currentRun = undefined;
      this.arm();
    });
    this.currentRun = run;
    return run;
  }

  private async runOnce(): Promise<number> {
    const nowMs = this.now();
    if (this.currentState !== LifecycleState.Running || nowMs < this.retryAfterMs) return 0;
    const due: DueEntry[] = [];
    while (due.length < this.settings.maxDeliveriesPerRun && (this.heap.peek()?.dueMs ?? Infinity) <= nowMs) {
      const entry = this.heap.pop()!;
      // Recalled while it waited: its offset is marked, its heap entry is left behind.
      if (!this.progress.isDelivered(entry.queueOffset)) due.push(entry);
      else this.recalledInHeap--;
    }
    if (due.length === 0) return 0;
    this.inFlight += due.length;
    for (const entry of due) this.runOffsets.add(entry.queueOffset);
    try {
      const messages = await this.readScheduled(due);
      const outcomes = await Promise.all(due.map((entry) => this.deliver(entry, messages.get(entry.queueOffset))));
      this.scheduleProgressWrite();
      return outcomes.filter((outcome) => outcome === 'delivered').length;
    } catch (error) {
      // Reading the schedule queue failed: every message of the run waits for the retry.
      for (const entry of due) this.heap.push(entry);
      this.retryAfterMs = nowMs + this.settings.retryDelayMs;
      this.logger.error({ err: error, messages: due.length }, 'reading due delayed messages failed; retrying');
      return 0;
    } finally {
      this.inFlight -= due.length;
      for (const entry of due) this.runOffsets.delete(entry.queueOffset);
    }
  }

  /** Reads the scheduled records of a run, one readQueue per run of consecutive offsets. */
  private async readScheduled(due: readonly DueEntry[]): Promise<Map<number, StoredMessage>> {
    const offsets = due.map((entry) => entry.queueOffset).sort((a, b) => a - b);
    const ranges: Array<[number, number]> = [];
    for (const offset of offsets) {
      const last = ranges[ranges.length - 1];
      if (last && last[1] === offset) last[1]++;
      else ranges.push([offset, offset + 1]);
    }
    const pages = await Promise.all(ranges.map(([start, end]) => this.store.readQueue(SCHEDULE_TOPIC, SCHEDULE_QUEUE_ID, start, end - start)));
    return new Map(pages.flat().map((message) => [message.queueOffset, message]));
  }

  private async deliver(entry: DueEntry, scheduled: StoredMessage | undefined): Promise<'delivered' | 'dropped' | 'retry'> {
    if (!scheduled) {
      this.logger.warn({ queueOffset: entry.queueOffset }, 'delayed message was deleted by retention before delivery');
      this.progress.markDelivered(entry.queueOffset);
      return 'dropped';
    }
    const real = toRealMessage(scheduled);
    if (typeof real === 'string') {
      this.logger.error({ queueOffset: entry.queueOffset, messageId: scheduled.messageId, reason: real }, 'delayed message cannot be delivered; dropped');
      this.progress.markDelivered(entry.queueOffset);
      return 'dropped';
    }
    const result = await this.store.append(real).catch((error: unknown): AppendResult => ({ status: 'store-failed', reason: String(error) }));
    if (result.status === 'ok') {
      this.progress.markDelivered(entry.queueOffset);
      return 'delivered';
    }
    const context = { queueOffset: entry.queueOffset, messageId: real.messageId, topic: real.topic, result };
    if (result.status === 'not-running' || result.status === 'store-failed') {
      // The store may recover (or the broker restarts): keep the message and try again later.
      this.heap.push(entry);
      this.retryAfterMs = this.now() + this.settings.retryDelayMs;
      this.logger.warn(context, 'store refused a delayed message; retrying');
      return 'retry';
    }
    // Too large or invalid cannot change by retrying; the scheduled copy stays in the store.
    this.logger.error(context, 'store rejected a delayed message; dropped');
    this.progress.markDelivered(entry.queueOffset);
    return 'dropped';
  }

  /** Marks offsets [from, to) that were not delivered as lost; returns how many. */
  private markLost(from: number, to: number): number {
    let lost = 0;
    for (let offset = from; offset < to; offset++) {
      if (this.progress.isDelivered(offset)) continue;
      this.progress.markDelivered(offset);
      lost++;
    }
    return lost;
  }

  /** Sets the one timer for the earliest due message (or the retry time), if not already set earlier. */
  private arm(): void {
    const next = this.heap.peek();
    if (this.currentState !== LifecycleState.Running || !next) return this.clearTimer();
    const atMs = Math.max(next.dueMs, this.retryAfterMs);
    if (this.timer && this.timerAtMs <= atMs) return;
    this.clearTimer();
    const nowMs = this.now();
    const delayMs = Math.min(Math.max(0, atMs - nowMs), this.settings.maxTimerDelayMs);
    this.timerAtMs = nowMs + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.deliverDue().catch((error: unknown) => this.logger.error({ err: error }, 'delay scheduler run failed'));
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
  }

  /** Batches progress writes: at most one per progressWriteIntervalMs while deliveries go on. */
  private scheduleProgressWrite(): void {
    if (this.progressTimer || !this.progress.dirty || this.currentState !== LifecycleState.Running) return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      this.progress.persist().catch((error: unknown) => {
        // Still dirty: the next deliveries or close() write it again.
        this.logger.error({ err: error, file: this.progress.file }, 'writing delay scheduler progress failed');
      });
    }, this.settings.progressWriteIntervalMs);
    this.progressTimer.unref();
  }
}

/** Why a message cannot be scheduled, or undefined. */
function checkSchedulable(message: MessageInput & { deliveryTimestampMs: number }): string | undefined {
  if ((message.type ?? RecordType.Normal) !== RecordType.Normal) return 'only normal messages can be delayed';
  if (message.topic === SCHEDULE_TOPIC) return `messages cannot be sent to ${SCHEDULE_TOPIC}`;
  if (!Number.isSafeInteger(message.queueId) || message.queueId < 0) return `queue id ${message.queueId} is not a non-negative integer`;
  if (!Number.isFinite(message.deliveryTimestampMs)) return 'delivery timestamp is not a number';
  for (const name of [REAL_TOPIC_PROPERTY, REAL_QUEUE_ID_PROPERTY]) {
    if (message.properties && Object.prototype.hasOwnProperty.call(message.properties, name)) return `property name ${name} is reserved for delayed messages`;
  }
  return undefined;
}

/**
 * The message as it was sent, from its scheduled copy (the copy function drops REAL_TOPIC and
 * REAL_QID); a reason string if the copy is unusable.
 */
function toRealMessage(scheduled: StoredMessage): MessageInput | string {
  const { [REAL_TOPIC_PROPERTY]: topic, [REAL_QUEUE_ID_PROPERTY]: queueIdText } = scheduled.properties;
  if (!topic) return `${REAL_TOPIC_PROPERTY} is missing`;
  if (queueIdText === undefined || !/^[0-9]+$/.test(queueIdText)) return `${REAL_QUEUE_ID_PROPERTY} ${JSON.stringify(queueIdText)} is not a queue id`;
  return copyMessage(scheduled, { topic, queueId: Number(queueIdText), deliveryTimestampMs: scheduled.deliveryTimestampMs });
}

/** A delayed message waiting in the schedule queue: when it is due, and where it is stored. */
interface DueEntry {
  dueMs: number;
  /** Offset in the schedule topic's queue 0. */
  queueOffset: number;
}

/** Earlier due time first; at the same millisecond, in the order they were scheduled. */
function dueFirst(a: DueEntry, b: DueEntry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.queueOffset < b.queueOffset);
}
