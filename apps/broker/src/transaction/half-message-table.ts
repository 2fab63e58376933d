import { createCheckSchedule } from './check-schedule';
import { HalfRecordLocation, TransactionIdIndex } from './transaction-id-index';
import { HalfMessageDetails } from './transaction-records';
import { PersistedHalf, TransactionStateDocument } from './transaction-state-file';

/** An unresolved half message: pending, or moved to the check-max topic and waiting for an operator. */
export interface HalfEntry {
  readonly offset: number;
  readonly size: number;
  readonly topic: string;
  readonly queueId: number;
  readonly messageId: string;
  readonly producerGroup: string | undefined;
  readonly bornTimestampMs: number;
  readonly storeTimestampMs: number;
  readonly checkImmunityMs: number;
  state: 'pending' | 'check-max';
  /** Check-backs sent to a live producer (every attempt with the transaction extensions off). */
  checkCount: number;
  /** Pending only: when the next check-back (or the check-max move) is due. */
  nextCheckAtMs: number;
  /** The last attempt found no live producer of the topic (a producer connecting wakes it). */
  waitingForProducer: boolean;
}

export type ResolvedState = 'committed' | 'rolled-back';

/** Where a half message's record is, as a dispatch listener or a log scan sees it. */
export interface HalfRecordFacts {
  offset: number;
  size: number;
  topic: string;
  queueId: number;
  messageId: string;
  storeTimestampMs: number;
}

/**
 * The transaction layer's projection of the commit log: which half messages are unresolved, and
 * how recent ones were resolved. Records are applied in log order (`appliedOffset`), from a log
 * scan at open and from the store's dispatch listener afterwards; applying one twice changes
 * nothing.
 *
 * Memory: an unresolved half message costs about 400 bytes (entry, its strings, map and heap
 * slots), so 100,000 half messages waiting for an offline producer take about 40 MB; a
 * remembered resolution about 80 bytes (bounded by `maxResolved`). Entries whose half message
 * retention deleted are dropped by pruneBelow().
 */
export class HalfMessageTable {
  /** Unresolved half messages by offset; insertion order is offset order (log order). */
  private readonly halves = new Map<number, HalfEntry>();
  /** Resolutions by half-message offset, in the order they happened. */
  private readonly resolved = new Map<number, ResolvedState>();
  /** The unresolved half messages each transaction id (the message id clients hold) names. */
  private readonly ids = new TransactionIdIndex();
  private readonly schedule = createCheckSchedule();
  private pending = 0;
  private applied = 0;
  /** The last applied record (kept as fields: advance() runs for every record, allocation-free). */
  private lastOffset = -1;
  private lastSize = 0;
  private lastMessageId = '';
  /** Bumped by every change the state file must keep (not by appliedOffset alone). */
  private changes = 0;

  constructor(private readonly settings: { transactionTimeoutMs: number; maxResolved: number }) {}

  /** Every commit-log record below this offset has been applied. */
  get appliedOffset(): number {
    return this.applied;
  }

  get version(): number {
    return this.changes;
  }

  pendingCount(): number {
    return this.pending;
  }

  checkMaxCount(): number {
    return this.halves.size - this.pending;
  }

  resolvedCount(): number {
    return this.resolved.size;
  }

  get(offset: number): HalfEntry | undefined {
    return this.halves.get(offset);
  }

  resolution(offset: number): ResolvedState | undefined {
    return this.resolved.get(offset);
  }

  /**
   * The unresolved half message a client's transaction id (the message id) names within `topic`
   * (any topic when undefined): its oldest pending one, else its oldest check-max one
   * (TransactionIdIndex). A resolved one is found through the store (TransactionResolver).
   */
  locate(messageId: string, topic: string | undefined): HalfRecordLocation | undefined {
    return this.ids.locate(messageId, topic);
  }

  /** Unresolved half messages, oldest first. */
  entries(): IterableIterator<HalfEntry> {
    return this.halves.values();
  }

  /** Records that every record up to the end of this one was applied. */
  advance(record: { offset: number; size: number; messageId: string }): void {
    const end = record.offset + record.size;
    if (end <= this.applied) return;
    this.applied = end;
    this.lastOffset = record.offset;
    this.lastSize = record.size;
    this.lastMessageId = record.messageId;
  }

  /** A log scan's next offset: nothing unapplied lies below it. */
  advanceTo(offset: number): void {
    if (offset > this.applied) this.applied = offset;
  }

  /** A half message was stored: it becomes pending, first checked after the timeout or its immunity. */
  addHalf(facts: HalfRecordFacts, details: HalfMessageDetails): void {
    if (this.halves.has(facts.offset) || this.resolved.has(facts.offset)) return;
    const entry: HalfEntry = {
      offset: facts.offset,
      size: facts.size,
      topic: facts.topic,
      queueId: facts.queueId,
      messageId: facts.messageId,
      producerGroup: details.producerGroup,
      bornTimestampMs: details.bornTimestampMs,
      storeTimestampMs: facts.storeTimestampMs,
      checkImmunityMs: details.checkImmunityMs,
      state: 'pending',
      checkCount: 0,
      nextCheckAtMs: facts.storeTimestampMs + Math.max(this.settings.transactionTimeoutMs, details.checkImmunityMs),
      waitingForProducer: false,
    };
    this.halves.set(entry.offset, entry);
    this.ids.add(entry);
    this.pending++;
    this.schedule.push({ dueMs: entry.nextCheckAtMs, offset: entry.offset });
    this.changes++;
  }

  /**
   * An op record for the half message at `preparedOffset` (`checkCount`: what a check-max marker
   * says was sent). Returns the entry it changed, or
   * undefined when it changed nothing (unknown half message, or already in that state).
   */
  applyOp(kind: 'commit' | 'rollback' | 'check-max', preparedOffset: number, checkCount?: number): HalfEntry | undefined {
    const entry = this.halves.get(preparedOffset);
    if (!entry) return undefined;
    if (kind === 'check-max') {
      if (entry.state !== 'pending') return undefined;
      entry.state = 'check-max';
      // The marker records the count, so a rebuild from the log shows it too.
      if (checkCount !== undefined && checkCount > entry.checkCount) entry.checkCount = checkCount;
      this.pending--;
    } else {
      this.remove(entry);
      this.remember(preparedOffset, kind === 'commit' ? 'committed' : 'rolled-back');
    }
    this.changes++;
    return entry;
  }

  /**
   * Pending half messages due at `nowMs`, at most `max`, earliest first. Each is rescheduled to
   * `nextAtMs` before it is returned, so one the caller fails to handle is simply tried again.
   */
  takeDue(nowMs: number, max: number, nextAtMs: number): HalfEntry[] {
    const due: HalfEntry[] = [];
    // A stale heap entry can carry the same time as the live one (rescheduled twice within one
    // millisecond, e.g. woken by producerAvailable): take each half message once.
    const taken = new Set<HalfEntry>();
    while (due.length < max) {
      const next = this.schedule.peek();
      if (!next || next.dueMs > nowMs) break;
      this.schedule.pop();
      const entry = this.halves.get(next.offset);
      if (!entry || entry.state !== 'pending' || entry.nextCheckAtMs !== next.dueMs || taken.has(entry)) continue;
      due.push(entry);
      taken.add(entry);
    }
    for (const entry of due) this.setNextCheck(entry, nextAtMs);
    this.compactSchedule();
    return due;
  }

  /** An operator's check now (CheckBackScanner.checkNow): the next scheduled check moves to `nextAtMs`. */
  reschedule(entry: HalfEntry, nextAtMs: number): void {
    if (this.halves.get(entry.offset) !== entry || entry.state !== 'pending') return;
    this.setNextCheck(entry, nextAtMs);
    this.compactSchedule();
  }

  /**
   * After a check-back attempt: `sent` if it reached a live producer, `counted` if it uses up one
   * of transactionCheckMax (only sent ones, unless the transaction extensions are off).
   */
  recordCheck(entry: HalfEntry, sent: boolean, counted: boolean): void {
    entry.waitingForProducer = !sent;
    if (!counted) return;
    entry.checkCount++;
    this.changes++;
  }

  /** Makes pending half messages of `topic` that found no producer due at `nowMs`; returns how many. */
  wakeTopic(topic: string, nowMs: number): number {
    let woken = 0;
    for (const entry of this.halves.values()) {
      if (entry.state !== 'pending' || !entry.waitingForProducer || entry.topic !== topic || entry.nextCheckAtMs <= nowMs) continue;
      entry.waitingForProducer = false;
      this.setNextCheck(entry, nowMs);
      woken++;
    }
    return woken;
  }

  /** Drops an unresolved half message whose record is gone (retention). */
  drop(entry: HalfEntry): void {
    if (this.halves.get(entry.offset) !== entry) return;
    this.remove(entry);
    this.changes++;
  }

  /**
   * Forgets everything about half messages below the log's start (retention deleted them);
   * returns the unresolved ones dropped, for the log.
   */
  pruneBelow(minOffset: number): HalfEntry[] {
    const dropped: HalfEntry[] = [];
    for (const entry of this.halves.values()) {
      if (entry.offset >= minOffset) break;
      dropped.push(entry);
    }
    for (const entry of dropped) this.remove(entry);
    // Resolutions are in resolution order, not offset order: this only trims the front; the
    // bound on their number does the rest (a stale one answers as if the record were unknown).
    for (const offset of this.resolved.keys()) {
      if (offset >= minOffset) break;
      this.resolved.delete(offset);
    }
    if (dropped.length > 0) this.changes++;
    return dropped;
  }

  toDocument(): TransactionStateDocument {
    const halves: PersistedHalf[] = [];
    for (const entry of this.halves.values()) {
      halves.push({
        offset: entry.offset,
        size: entry.size,
        topic: entry.topic,
        queueId: entry.queueId,
        messageId: entry.messageId,
        producerGroup: entry.producerGroup ?? null,
        bornTimestampMs: entry.bornTimestampMs,
        storeTimestampMs: entry.storeTimestampMs,
        checkImmunityMs: entry.checkImmunityMs,
        checkCount: entry.checkCount,
        nextCheckAtMs: entry.nextCheckAtMs,
        state: entry.state,
      });
    }
    let resolvedStates = '';
    for (const state of this.resolved.values()) resolvedStates += state === 'committed' ? 'C' : 'R';
    return {
      version: 1,
      appliedOffset: this.applied,
      lastRecord: this.lastOffset < 0 ? null : { offset: this.lastOffset, size: this.lastSize, messageId: this.lastMessageId },
      halves,
      resolvedOffsets: [...this.resolved.keys()],
      resolvedStates,
    };
  }

  /** Replaces the content with a state file's (validated by parseTransactionState). */
  load(document: TransactionStateDocument): void {
    this.halves.clear();
    this.resolved.clear();
    this.ids.clear();
    this.pending = 0;
    for (const half of document.halves) {
      const entry: HalfEntry = { ...half, producerGroup: half.producerGroup ?? undefined, waitingForProducer: false };
      this.halves.set(entry.offset, entry);
      this.ids.add(entry);
      if (entry.state === 'pending') this.pending++;
    }
    document.resolvedOffsets.forEach((offset, i) => this.remember(offset, document.resolvedStates[i] === 'C' ? 'committed' : 'rolled-back'));
    this.applied = document.appliedOffset;
    this.lastOffset = document.lastRecord?.offset ?? -1;
    this.lastSize = document.lastRecord?.size ?? 0;
    this.lastMessageId = document.lastRecord?.messageId ?? '';
    this.schedule.rebuild(this.liveChecks());
    this.changes = 0;
  }

  private remove(entry: HalfEntry): void {
    this.halves.delete(entry.offset);
    if (entry.state === 'pending') this.pending--;
    this.ids.remove(entry);
  }

  private remember(offset: number, state: ResolvedState): void {
    this.resolved.delete(offset);
    this.resolved.set(offset, state);
    while (this.resolved.size > this.settings.maxResolved) {
      this.resolved.delete(this.resolved.keys().next().value as number);
    }
  }

  private setNextCheck(entry: HalfEntry, atMs: number): void {
    entry.nextCheckAtMs = atMs;
    this.schedule.push({ dueMs: atMs, offset: entry.offset });
  }

  /** Rebuilds the heap once stale entries (resolved or rescheduled) outnumber live ones. */
  private compactSchedule(): void {
    if (this.schedule.size > 2 * this.pending + 1024) this.schedule.rebuild(this.liveChecks());
  }

  private *liveChecks(): IterableIterator<{ dueMs: number; offset: number }> {
    for (const entry of this.halves.values()) {
      if (entry.state === 'pending') yield { dueMs: entry.nextCheckAtMs, offset: entry.offset };
    }
  }
}
