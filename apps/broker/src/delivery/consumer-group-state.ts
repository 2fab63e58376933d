/** One delivery of a message to a consumer group that is neither acknowledged nor dead-lettered. */
export interface InFlightDelivery {
  /** Names the current delivery; the receipt handle must carry it. */
  deliveryId: number;
  /** Deliveries made so far: 1 after the first receive. */
  attempts: number;
  /** Invisible to the group until then; afterwards it is due for redelivery. */
  invisibleUntilMs: number;
  /** FIFO groups only: the message group this delivery holds back. */
  messageGroup: string | undefined;
}

/** The persisted form of one QueueConsumeState (group-state-persistence.ts writes it as JSON). */
export interface QueueStateSnapshot {
  consumerOffset: number;
  nextOffset: number;
  /** Finished offsets above the frontier, as [first offset, count] runs. */
  done: Array<[number, number]>;
  inFlight: Array<{ offset: number; deliveryId: number; attempts: number; invisibleUntilMs: number; messageGroup?: string }>;
  /** FIFO: offsets waiting behind their message group's in-flight message, oldest first. */
  held: Array<{ messageGroup: string; offsets: number[] }>;
}

/**
 * What one consumer group knows about one topic-queue in the receive (pop) model.
 *
 * ```
 *   consumerOffset                                    nextOffset
 *        |  done / in flight / held (FIFO), each once      |  never looked at
 *   -----+--------------------------------------------------+------------------>
 *   everything before is acknowledged, dead-lettered or filtered out
 * ```
 *
 * Every offset in [consumerOffset, nextOffset) is in exactly one of `done`, `inFlight` or `held`,
 * except the offsets of a scan in progress ([scan start, nextOffset), beginScan()..endScan()), which are decided together
 * once their messages are read. Finishing the offset at the frontier advances it over the run of
 * finished offsets behind it, so `done` only holds offsets above an older unfinished one.
 * All changes are synchronous; the one asynchronous operation, a receive's read of messages,
 * runs under `lock()` so two receives never decide the same offsets.
 */
export class QueueConsumeState {
  /** Every offset below it is acknowledged (or dead-lettered): the group's consumer offset. */
  private frontier: number;
  /** The next offset the scan looks at. */
  private scanned: number;
  /** Start of the scan in progress, if any: snapshots persist it as nextOffset so those offsets are scanned again. */
  private scanStart: number | undefined;
  readonly inFlight = new Map<number, InFlightDelivery>();
  private readonly done = new Set<number>();
  /** FIFO: message group -> offset of its in-flight message. */
  private readonly activeGroups = new Map<string, number>();
  /** FIFO: message group -> offsets waiting behind it, ascending. */
  private readonly held = new Map<string, number[]>();
  private heldCount = 0;
  /** No in-flight message becomes visible before this (a lower bound; exact after a full scan). */
  private earliestInvisibleUntilMs = Number.POSITIVE_INFINITY;
  private lockTail: Promise<void> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly queueId: number,
    startOffset: number,
  ) {
    this.frontier = startOffset;
    this.scanned = startOffset;
  }

  /** Every offset below it is acknowledged (or dead-lettered). */
  get consumerOffset(): number {
    return this.frontier;
  }

  /** The next offset a scan looks at. */
  get nextOffset(): number {
    return this.scanned;
  }

  /**
   * A scan claims the entries up to `lastOffset`: they count as scanned while it reads them, and
   * a snapshot taken meanwhile still starts from before them. Ends with endScan() once every
   * claimed entry is decided, or abandonScan() when nothing was (the next scan reads them again).
   */
  beginScan(lastOffset: number): void {
    this.scanStart = this.scanned;
    this.scanned = lastOffset + 1;
  }

  endScan(): void {
    this.scanStart = undefined;
  }

  abandonScan(): void {
    if (this.scanStart !== undefined) this.scanned = this.scanStart;
    this.scanStart = undefined;
  }

  /** Offsets handed out or passed over but not yet behind the frontier. */
  get unackedSpan(): number {
    return this.scanned - this.frontier;
  }

  get heldMessages(): number {
    return this.heldCount;
  }

  /** Serializes receives (and resets) of this queue; resolves with the release function. */
  async lock(): Promise<() => void> {
    let release!: () => void;
    const previous = this.lockTail;
    this.lockTail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }

  /** Records a (re)delivery; a FIFO message also blocks its message group. */
  deliver(offset: number, delivery: InFlightDelivery): void {
    this.inFlight.set(offset, delivery);
    if (delivery.messageGroup !== undefined) this.activeGroups.set(delivery.messageGroup, offset);
    this.noteInvisibleUntil(delivery.invisibleUntilMs);
  }

  /** Moves an in-flight message's visibility (redelivery, change of invisible duration). */
  noteInvisibleUntil(invisibleUntilMs: number): void {
    if (invisibleUntilMs < this.earliestInvisibleUntilMs) this.earliestInvisibleUntilMs = invisibleUntilMs;
  }

  /**
   * Marks an offset consumed (acknowledged, dead-lettered, filtered out, or gone) and advances the
   * frontier over finished offsets. Returns true if this unblocked a FIFO message group that has
   * messages waiting.
   */
  finish(offset: number): boolean {
    if (offset < this.frontier) return false;
    let unblocked = false;
    const delivery = this.inFlight.get(offset);
    if (delivery) {
      this.inFlight.delete(offset);
      const group = delivery.messageGroup;
      if (group !== undefined && this.activeGroups.get(group) === offset) {
        this.activeGroups.delete(group);
        unblocked = this.held.has(group);
      }
    }
    if (offset === this.frontier) {
      this.frontier++;
      while (this.done.delete(this.frontier)) this.frontier++;
    } else {
      this.done.add(offset);
    }
    return unblocked;
  }

  /** FIFO: whether a message of this group must wait (an earlier one is in flight or waiting). */
  isGroupBlocked(messageGroup: string): boolean {
    return this.activeGroups.has(messageGroup) || this.held.has(messageGroup);
  }

  /** FIFO: parks a message behind its group's in-flight message. */
  hold(offset: number, messageGroup: string): void {
    const offsets = this.held.get(messageGroup);
    if (offsets) offsets.push(offset);
    else this.held.set(messageGroup, [offset]);
    this.heldCount++;
  }

  /**
   * FIFO: takes the first waiting message of up to `max` groups that nothing blocks any more.
   * The caller delivers each at once (which blocks its group again).
   */
  takeReleasable(max: number, into: Array<{ offset: number; messageGroup: string }>): void {
    for (const [messageGroup, offsets] of this.held) {
      if (into.length >= max) return;
      if (this.activeGroups.has(messageGroup)) continue;
      const offset = offsets.shift() as number;
      if (offsets.length === 0) this.held.delete(messageGroup);
      this.heldCount--;
      into.push({ offset, messageGroup });
    }
  }

  /** Whether an in-flight message may have become visible again by `nowMs` (never false when one has). */
  mayHaveExpired(nowMs: number): boolean {
    return nowMs >= this.earliestInvisibleUntilMs;
  }

  /**
   * Collects up to `max` in-flight messages whose invisible time has passed, oldest offset
   * first. Skips the scan entirely while nothing can have expired.
   */
  takeExpired(nowMs: number, max: number, into: number[]): void {
    if (nowMs < this.earliestInvisibleUntilMs || max <= 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [offset, delivery] of this.inFlight) {
      if (delivery.invisibleUntilMs <= nowMs) {
        if (into.length < max) into.push(offset);
        else earliest = nowMs;
      } else if (delivery.invisibleUntilMs < earliest) {
        earliest = delivery.invisibleUntilMs;
      }
    }
    into.sort((a, b) => a - b);
    // The caller redelivers what it took (noting the new times); what it left is due now.
    this.earliestInvisibleUntilMs = earliest;
  }

  /** When the next in-flight message becomes visible again (infinity if none). */
  nextVisibleAtMs(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const delivery of this.inFlight.values()) if (delivery.invisibleUntilMs < earliest) earliest = delivery.invisibleUntilMs;
    this.earliestInvisibleUntilMs = earliest;
    return earliest;
  }

  /**
   * Moves the frontier to `offset`. Forward: everything before it counts as consumed (in-flight
   * and waiting messages there are dropped), what lies after is kept. Backward: the group
   * consumes again from there, so all in-flight and waiting state is dropped.
   */
  moveTo(offset: number): void {
    if (offset < this.frontier) {
      this.inFlight.clear();
      this.done.clear();
      this.activeGroups.clear();
      this.held.clear();
      this.heldCount = 0;
      this.frontier = offset;
      this.scanned = offset;
      return;
    }
    for (const [queueOffset, delivery] of this.inFlight) {
      if (queueOffset >= offset) continue;
      this.inFlight.delete(queueOffset);
      if (delivery.messageGroup !== undefined && this.activeGroups.get(delivery.messageGroup) === queueOffset) this.activeGroups.delete(delivery.messageGroup);
    }
    for (const queueOffset of this.done) if (queueOffset < offset) this.done.delete(queueOffset);
    for (const [messageGroup, offsets] of this.held) {
      const kept = offsets.filter((queueOffset) => queueOffset >= offset);
      this.heldCount -= offsets.length - kept.length;
      if (kept.length === 0) this.held.delete(messageGroup);
      else this.held.set(messageGroup, kept);
    }
    this.frontier = offset;
    if (this.scanned < offset) this.scanned = offset;
    while (this.done.delete(this.frontier)) this.frontier++;
  }

  snapshot(): QueueStateSnapshot {
    const done: Array<[number, number]> = [];
    for (const offset of [...this.done].sort((a, b) => a - b)) {
      const last = done[done.length - 1];
      if (last && last[0] + last[1] === offset) last[1]++;
      else done.push([offset, 1]);
    }
    const inFlight: QueueStateSnapshot['inFlight'] = [];
    for (const [offset, delivery] of this.inFlight) {
      const { deliveryId, attempts, invisibleUntilMs, messageGroup } = delivery;
      inFlight.push(
        messageGroup === undefined ? { offset, deliveryId, attempts, invisibleUntilMs } : { offset, deliveryId, attempts, invisibleUntilMs, messageGroup },
      );
    }
    const held = [...this.held].map(([messageGroup, offsets]) => ({ messageGroup, offsets: [...offsets] }));
    const nextOffset = this.scanStart ?? this.scanned;
    return { consumerOffset: this.frontier, nextOffset, done, inFlight, held };
  }

  /** Rebuilds a state from a snapshot that group-state-persistence.ts has checked. */
  static restore(topic: string, queueId: number, snapshot: QueueStateSnapshot): QueueConsumeState {
    const state = new QueueConsumeState(topic, queueId, snapshot.consumerOffset);
    state.scanned = snapshot.nextOffset;
    for (const [first, count] of snapshot.done) for (let i = 0; i < count; i++) state.done.add(first + i);
    for (const { offset, deliveryId, attempts, invisibleUntilMs, messageGroup } of snapshot.inFlight) {
      state.deliver(offset, { deliveryId, attempts, invisibleUntilMs, messageGroup });
    }
    for (const { messageGroup, offsets } of snapshot.held) for (const offset of offsets) state.hold(offset, messageGroup);
    return state;
  }
}
