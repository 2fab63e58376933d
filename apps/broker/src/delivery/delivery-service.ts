import { TraceSink } from '../trace/trace-events';
import { LifecycleState } from '../lifecycle-state';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Logger } from 'pino';
import { ConsumerOffsetStore } from '../store/consumer-offset-store';
import { DispatchedRecord, MessageStore } from '../store/message-store';
import { TopicsApi } from '../topics/topic-config';
import { QueueConsumeState } from './consumer-group-state';
import { DeadLetterQueue } from './dead-letter-queue';
import { DeliveryIdSequence } from './delivery-id-sequence';
import { DeliveryOptions } from './delivery-options';
import { DELIVERY_DEFAULTS } from './delivery.defaults';
import {
  DeliveryApi,
  OffsetPolicy,
  PullRequest,
  PullResult,
  QueueProgress,
  ReceiptResult,
  ReceiveRequest,
  ReceiveResult,
  ReceivedMessage,
  UpdateOffsetResult,
} from './delivery.types';
import { compileFilter } from './filter/compile-filter';
import { GroupStatePersistence } from './group-state-persistence';
import { GroupStateTable } from './group-state-table';
import { LongPollWaiters } from './long-poll';
import { PopContext, PopReceiver } from './pop-receiver';
import { PullReader } from './pull-reader';
import { ReceiptHandleValidator } from './receipt-handle-validator';
import { encodeReceiptHandle } from './receipt-handle';
import { readQueueMessage } from './read-queue-message';

/** One look for messages during a long poll. */
interface PollLook<T> {
  value: T;
  /** Answer now (messages found, or an error). */
  found: boolean;
  /** Work is left that needs no waiting (a scan stopped at its budget). */
  retryNow: boolean;
  /** When an in-flight message of the polled queues becomes visible again (clock of `now`). */
  nextVisibleAtMs: number;
}

/** `poll` could not register one more waiter. */
const WAITERS_FULL = Symbol('waiters-full');

/**
 * The delivery engine (DESIGN.md section 3, "Delivery"): the v2 receive / ack model with
 * invisibility, redelivery, dead-letter queues, FIFO message groups, filters and long polling,
 * plus queue-offset consumption. Group state lives in GroupStateTable and is written to
 * `delivery-state.json` every `persistIntervalMs` when it changed, and at close(). Queue-offset
 * consumers' offsets are kept by the store's ConsumerOffsetStore (`consumer-offsets.json`).
 *
 * A group consuming a queue for the first time starts at the queue's min offset: it gets every
 * retained message. (Apache RocketMQ's pop starts a new group at the queue's end unless the
 * queue is young; starting at the oldest retained message is simpler to state and never skips a
 * message published before the consumer's first receive, which the demo and tests rely on.)
 */
export class DeliveryService implements DeliveryApi {
  private readonly options: DeliveryOptions;
  private readonly persistence: GroupStatePersistence;
  private readonly offsets: ConsumerOffsetStore;
  private readonly waiters: LongPollWaiters;
  private readonly deadLetters: DeadLetterQueue;
  private readonly pullReader: PullReader;
  private readonly table = new GroupStateTable();
  private readonly ids = new DeliveryIdSequence();
  private readonly receiver: PopReceiver;
  private readonly handles: ReceiptHandleValidator;
  private timer: NodeJS.Timeout | undefined;
  private lifecycle: LifecycleState = LifecycleState.Created;
  /** Spreads receives without a queue id over the topic's queues. */
  private queueRotation = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly topics: TopicsApi,
    options: Partial<Omit<DeliveryOptions, 'stateDir'>> & { stateDir: string },
    private readonly logger: Logger,
  ) {
    this.options = { ...DELIVERY_DEFAULTS, ...options };
    this.persistence = new GroupStatePersistence(this.options.stateDir);
    this.offsets = new ConsumerOffsetStore(this.options.stateDir);
    this.waiters = new LongPollWaiters(this.options.maxLongPollingWaiters);
    this.deadLetters = new DeadLetterQueue(store, topics, logger);
    this.pullReader = new PullReader(store, this.options.maxScanEntriesPerRequest);
    this.receiver = new PopReceiver(store, this.table, this.deadLetters, this.waiters, this.ids, this.options);
    this.handles = new ReceiptHandleValidator(this.table, topics, this.options.now);
    store.onDispatch(this.onDispatch);
  }

  /** Loads group state and offsets (corrupt files throw), then persists changes every `persistIntervalMs`. */
  async open(): Promise<void> {
    if (this.lifecycle !== LifecycleState.Created) throw new Error(`DeliveryService cannot be opened when ${this.lifecycle}`);
    this.lifecycle = LifecycleState.Loading;
    const nextDeliveryId = await this.persistence.load(this.table);
    await this.offsets.open();
    this.ids.seed(nextDeliveryId, Date.now());
    this.timer = setInterval(
      () => void this.persist().catch((error: Error) => this.logger.error({ err: error }, 'persisting delivery state failed')),
      this.options.persistIntervalMs,
    );
    this.timer.unref();
    this.lifecycle = LifecycleState.Running;
  }

  /** Ends every long poll (with no messages) and writes the state. */
  async close(): Promise<void> {
    if (this.lifecycle === LifecycleState.Created) this.lifecycle = LifecycleState.Closed;
    if (this.lifecycle !== LifecycleState.Running) return;
    this.lifecycle = LifecycleState.ShuttingDown;
    clearInterval(this.timer);
    this.waiters.close();
    await this.persist();
    this.lifecycle = LifecycleState.Closed;
  }

  /** Writes group state and offsets if they changed. */
  async persist(): Promise<void> {
    await this.persistence.persist(this.table, this.ids);
    await this.offsets.persist();
  }

  /** Reports moves to a dead-letter queue to the broker's trace (TraceRecorder); unset: no trace. */
  setTraceSink(trace: TraceSink | undefined): void {
    this.deadLetters.trace = trace;
  }

  async receive(request: ReceiveRequest): Promise<ReceiveResult> {
    this.running();
    const { maxBatchSize, minReceiveInvisibleDurationMs, maxInvisibleDurationMs } = this.options;
    if (!Number.isInteger(request.batchSize) || request.batchSize < 1 || request.batchSize > maxBatchSize) {
      return { status: 'bad-request', reason: `batch size must be between 1 and ${maxBatchSize}, got ${request.batchSize}` };
    }
    const invisibleProblem = request.autoRenew
      ? undefined
      : invisibleDurationProblem(request.invisibleDurationMs, minReceiveInvisibleDurationMs, maxInvisibleDurationMs);
    if (invisibleProblem) return { status: 'illegal-invisible-time', reason: invisibleProblem };
    const topic = this.topics.get(request.topic);
    if (!topic) return { status: 'topic-not-found' };
    const queueId = request.queueId;
    if (queueId !== undefined && (!Number.isInteger(queueId) || queueId < 0 || queueId >= topic.readQueueNums)) {
      return { status: 'bad-request', reason: `queueId[${queueId}] is illegal, topic:[${topic.name}] readQueueNums:[${topic.readQueueNums}]` };
    }
    const compiled = compileFilter(request.filter);
    if (!compiled.ok) return { status: 'illegal-filter', reason: compiled.reason };
    const group = await this.topics.getOrCreateGroup(request.group);
    if (!group) return { status: 'consumer-group-not-found', reason: `subscription group [${request.group}] does not exist` };
    const context: PopContext = {
      group: request.group,
      filter: compiled.filter,
      fifo: group.fifo,
      maxDeliveryAttempts: group.maxDeliveryAttempts,
      invisibleDurationMs: request.invisibleDurationMs,
    };
    const queueIds = queueId !== undefined ? [queueId] : this.rotatedQueueIds(topic.readQueueNums);
    const look = async (): Promise<PollLook<ReceivedMessage[]>> => {
      const messages: ReceivedMessage[] = [];
      let retryNow = false;
      const nowMs = this.options.now();
      for (const id of queueIds) {
        if (messages.length >= request.batchSize) break;
        const state = this.stateOf(request.group, topic.name, id);
        if (!this.receiver.mayHaveMessages(state, nowMs)) continue;
        retryNow = (await this.receiver.receive(context, state, request.batchSize, messages)) || retryNow;
      }
      const found = messages.length > 0;
      return { value: messages, found, retryNow, nextVisibleAtMs: found ? Infinity : this.nextVisibleAtMs(request.group, topic.name, queueIds) };
    };
    const messages = await this.poll(topic.name, request.longPollingTimeoutMs, request.signal, look);
    if (messages === WAITERS_FULL) return this.waitersFull();
    return { status: 'ok', messages };
  }

  async ack(group: string, topic: string, receiptHandle: string): Promise<ReceiptResult> {
    const found = this.running().handles.find(group, topic, receiptHandle);
    if (found.status !== 'found') return found;
    this.receiver.finish(found.state, found.handle.queueOffset);
    return { status: 'ok' };
  }

  async changeInvisibleDuration(group: string, topic: string, receiptHandle: string, invisibleDurationMs: number): Promise<ReceiptResult> {
    this.running();
    const problem = invisibleDurationProblem(invisibleDurationMs, 0, this.options.maxInvisibleDurationMs);
    if (problem) return { status: 'illegal-invisible-time', reason: problem };
    const found = this.handles.find(group, topic, receiptHandle);
    if (found.status !== 'found') return found;
    const nowMs = this.options.now();
    const { delivery, state, handle } = found;
    delivery.deliveryId = this.ids.next();
    delivery.invisibleUntilMs = nowMs + invisibleDurationMs;
    state.noteInvisibleUntil(delivery.invisibleUntilMs);
    this.table.touch();
    // Waiters sleep until the next in-flight message becomes visible; that moment may now be sooner.
    this.waiters.notify(topic);
    const renewed = encodeReceiptHandle({ ...handle, deliveryId: delivery.deliveryId, receivedAtMs: nowMs, invisibleDurationMs });
    return { status: 'ok', receiptHandle: renewed };
  }

  async forwardToDeadLetterQueue(group: string, topic: string, receiptHandle: string): Promise<ReceiptResult> {
    const found = this.running().handles.find(group, topic, receiptHandle);
    if (found.status !== 'found') return found;
    const { delivery, state, handle } = found;
    // The handle is used up at once, so a concurrent ack or second forward finds it stale.
    const handleDeliveryId = delivery.deliveryId;
    const forwardingId = this.ids.next();
    delivery.deliveryId = forwardingId;
    const message = await readQueueMessage(this.store, topic, handle.queueId, handle.queueOffset);
    const result = message ? await this.deadLetters.forward(group, message, delivery.attempts) : { status: 'ok' as const };
    const stillOurs = state.inFlight.get(handle.queueOffset) === delivery && delivery.deliveryId === forwardingId;
    if (result.status !== 'ok') {
      if (stillOurs) delivery.deliveryId = handleDeliveryId;
      return { status: 'internal-error', reason: result.reason };
    }
    if (stillOurs) this.receiver.finish(state, handle.queueOffset);
    return { status: 'ok' };
  }

  async pull(request: PullRequest): Promise<PullResult> {
    this.running();
    if (!this.topics.get(request.topic)) return { status: 'topic-not-found' };
    const compiled = compileFilter(request.filter);
    if (!compiled.ok) return { status: 'illegal-filter', reason: compiled.reason };
    // Like the proxy does for pop batches, an out-of-range batch size is clamped, not refused.
    const batchSize = Math.min(Math.max(1, Math.floor(request.batchSize) || 1), this.options.maxBatchSize);
    let offset = request.offset;
    const look = async (): Promise<PollLook<PullResult>> => {
      const { result, atEnd } = await this.pullReader.look(request.topic, request.queueId, offset, batchSize, compiled.filter);
      if (result.status === 'ok') offset = result.nextOffset;
      return { value: result, found: !atEnd, retryNow: false, nextVisibleAtMs: Infinity };
    };
    const result = await this.poll(request.topic, request.longPollingTimeoutMs, request.signal, look);
    if (result !== WAITERS_FULL) return result;
    // No room to wait: answer like Apache RocketMQ's PULL_NOT_FOUND (no new messages); the consumer pulls again.
    const { minOffset, maxOffset } = this.store.getQueueBounds(request.topic, request.queueId);
    return { status: 'ok', messages: [], nextOffset: offset, minOffset, maxOffset };
  }

  /**
   * An offset past the queue's max offset is refused: it would commit messages never written, and
   * progress() would show the group without lag until the queue caught up (Apache's broker stores
   * it; see grpc/status-codes.ts). One below the min offset is kept, as a consumer behind
   * retention may commit what it read before the cut.
   */
  async updateOffset(group: string, topic: string, queueId: number, offset: number): Promise<UpdateOffsetResult> {
    this.running();
    if (!this.topics.get(topic)) return { status: 'topic-not-found' };
    const { minOffset, maxOffset } = this.store.getQueueBounds(topic, queueId);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > maxOffset) return { status: 'offset-out-of-range', minOffset, maxOffset };
    this.offsets.set(group, topic, queueId, offset);
    return { status: 'ok' };
  }

  /** The queue-offset consumer's committed offset; for a receive-only group, its frontier; else -1. */
  getOffset(group: string, topic: string, queueId: number): number {
    return this.offsets.get(group, topic, queueId) ?? this.table.get(group, topic, queueId)?.consumerOffset ?? -1;
  }

  async queryOffset(topic: string, queueId: number, policy: OffsetPolicy): Promise<number> {
    const { minOffset, maxOffset } = this.store.getQueueBounds(topic, queueId);
    if (policy.type === 'BEGINNING') return minOffset;
    if (policy.type === 'END') return maxOffset;
    return this.store.findQueueOffsetByTime(topic, queueId, policy.timestampMs);
  }

  progress(group: string): QueueProgress[] {
    const rows = new Map<string, QueueProgress>();
    for (const state of this.table.statesOf(group)) {
      rows.set(`${state.topic}\u0000${state.queueId}`, this.progressRow(state.topic, state.queueId, state.consumerOffset, state.inFlight.size));
    }
    for (const { topic, queueId, offset } of this.offsets.listOffsets(group)) {
      const key = `${topic}\u0000${queueId}`;
      if (!rows.has(key)) rows.set(key, this.progressRow(topic, queueId, offset, 0));
    }
    return [...rows.values()].sort((a, b) => (a.topic === b.topic ? a.queueId - b.queueId : a.topic < b.topic ? -1 : 1));
  }

  /**
   * Moves the group to the first message stored at or after `timestampMs` on every queue of the
   * topic, for queue-offset and receive consumers alike. Receive state moving forward drops
   * in-flight messages before the new position (their handles become stale); moving backward
   * drops all in-flight state, and everything from the position is delivered again.
   */
  async resetOffsetByTime(group: string, topic: string, timestampMs: number): Promise<Array<{ queueId: number; offset: number }>> {
    this.running();
    const config = this.topics.get(topic);
    if (!config) return [];
    const moved: Array<{ queueId: number; offset: number }> = [];
    for (let queueId = 0; queueId < config.readQueueNums; queueId++) {
      const offset = await this.store.findQueueOffsetByTime(topic, queueId, timestampMs);
      this.offsets.set(group, topic, queueId, offset);
      const state = this.table.getOrCreate(group, topic, queueId, offset);
      const release = await state.lock();
      try {
        state.moveTo(offset);
        this.table.touch();
      } finally {
        release();
      }
      moved.push({ queueId, offset });
    }
    this.waiters.notify(topic);
    this.logger.info({ group, topic, timestampMs, moved }, 'consumer offsets reset by time');
    return moved;
  }

  listGroups(): string[] {
    return [...new Set([...this.table.groupNames(), ...this.offsets.listGroups()])].sort();
  }

  /** The store calls this for every dispatched record: a consumable one wakes its topic's waiters. */
  private readonly onDispatch = (record: DispatchedRecord): void => {
    if (record.queueOffset >= 0) this.waiters.notify(record.topic);
  };

  /**
   * Looks once; if nothing is found, registers a waiter and looks again until something is found,
   * the timeout (capped at `maxLongPollingTimeoutMs`) passes, the signal aborts, or the engine
   * closes. A waiter never sleeps past the next in-flight message's return to visibility.
   */
  private async poll<T>(
    topic: string,
    requestedTimeoutMs: number,
    signal: AbortSignal | undefined,
    look: () => Promise<PollLook<T>>,
  ): Promise<T | typeof WAITERS_FULL> {
    const timeoutMs = Math.min(Math.max(0, requestedTimeoutMs || 0), this.options.maxLongPollingTimeoutMs);
    let outcome = await look();
    if (outcome.found || timeoutMs === 0 || signal?.aborted) return outcome.value;
    const deadline = performance.now() + timeoutMs;
    const waiter = this.waiters.arm(topic);
    if (!waiter) return this.lifecycle === LifecycleState.Running ? WAITERS_FULL : outcome.value;
    try {
      for (;;) {
        waiter.rearm();
        outcome = await look();
        const remainingMs = deadline - performance.now();
        if (outcome.found || remainingMs <= 0) return outcome.value;
        if (outcome.retryNow) {
          await nextTurn();
          continue;
        }
        const untilVisibleMs = outcome.nextVisibleAtMs - this.options.now();
        const why = await waiter.wait(Math.min(remainingMs, Math.max(1, untilVisibleMs)), signal);
        if (why === 'aborted' || why === 'closed') return outcome.value;
      }
    } finally {
      this.waiters.disarm(waiter);
    }
  }

  private waitersFull(): { status: 'polling-full'; reason: string } {
    return { status: 'polling-full', reason: `too many long-polling requests are waiting (limit ${this.options.maxLongPollingWaiters}); retry later` };
  }

  /** The group's state on a queue; a group new to the queue starts at its min offset (see the class comment). */
  private stateOf(group: string, topic: string, queueId: number): QueueConsumeState {
    return this.table.get(group, topic, queueId) ?? this.table.getOrCreate(group, topic, queueId, this.store.getQueueBounds(topic, queueId).minOffset);
  }

  private nextVisibleAtMs(group: string, topic: string, queueIds: readonly number[]): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const queueId of queueIds) earliest = Math.min(earliest, this.table.get(group, topic, queueId)?.nextVisibleAtMs() ?? earliest);
    return earliest;
  }

  private rotatedQueueIds(queueCount: number): number[] {
    const start = this.queueRotation++ % queueCount;
    if (this.queueRotation >= Number.MAX_SAFE_INTEGER) this.queueRotation = 0;
    const ids: number[] = [];
    for (let i = 0; i < queueCount; i++) ids.push((start + i) % queueCount);
    return ids;
  }

  private progressRow(topic: string, queueId: number, consumerOffset: number, inFlight: number): QueueProgress {
    const brokerOffset = this.store.getQueueBounds(topic, queueId).maxOffset;
    return { topic, queueId, brokerOffset, consumerOffset, inFlight, lag: Math.max(0, brokerOffset - consumerOffset) };
  }

  /** Calls before open() or after close() are programmer errors. */
  private running(): this {
    if (this.lifecycle !== LifecycleState.Running) throw new Error(`DeliveryService is ${this.lifecycle}, not running`);
    return this;
  }
}

/** The proxy's checks and messages (GrpcValidator.validateInvisibleTime). */
function invisibleDurationProblem(durationMs: number, minMs: number, maxMs: number): string | undefined {
  if (!Number.isInteger(durationMs) || durationMs < minMs) return `the invisibleTime is too small. min is ${minMs}`;
  if (durationMs > maxMs) return `the invisibleTime is too large. max is ${maxMs}`;
  return undefined;
}
