import { performance } from 'node:perf_hooks';
import { CommitLog } from './commit-log';
import { ConsumeQueueTable } from './consume-queue-table';
import { DispatchRequest, Dispatcher } from './dispatcher';
import { MessageInput, RecordType } from './message-record';
import { AppendResult, AppendedRecord } from './message-store';
import { StoreLatencyObserver } from './store-latency-observer';
import { FlushDiskType } from './store-options';
import { BLANK_MIN_SIZE, MeasuredRecord, encodeBlank, encodeRecord, measureRecord } from './record-codec';
import { StoreWriteFailure } from './store-write-failure';

/** Records are encoded straight into pooled staging buffers of this size (bigger for big batches). */
const CHUNK_SIZE_BYTES = 1024 * 1024;
const MAX_POOLED_CHUNKS = 8;

/** Bytes staged for one contiguous region of one segment, written as a unit. */
interface StagingChunk {
  segmentBase: number;
  filePos: number;
  buffer: Buffer;
  length: number;
  records: DispatchRequest[];
  /** Appends whose last record is in this chunk, resolved after it is written (and flushed). */
  waiters: Waiter[];
}

interface Waiter {
  resolve: (result: AppendResult) => void;
  records: AppendedRecord[];
  /** performance.now() when append() was called: the acknowledgement's latency is measured from it. */
  startedAtMs: number;
}

/**
 * The commit log's single writer. Appends are encoded synchronously into a staging buffer, in
 * call order, which fixes their offsets and queue offsets at once; one write loop then moves
 * everything staged to disk with one writev per segment, flushes it when the policy is
 * SYNC_FLUSH, dispatches the records and resolves their appends. Whatever arrives while a
 * write or fdatasync is in flight joins the next round: that is the group commit.
 *
 * One write in flight at a time keeps the file a prefix of the intended byte stream, so a crash
 * leaves at most one torn write at the tail (recovery relies on that).
 *
 * A write or fdatasync that fails (ENOSPC, EIO) fails its round and everything staged after it:
 * none of it was acknowledged. The store then refuses appends (`writeFailure`) until rewind()
 * has cut the log back to the last acknowledged record and synced what is there, so nothing is
 * acknowledged that was not written (and, under SYNC_FLUSH, synced).
 */
export class AppendPipeline {
  private staged: StagingChunk[] = [];
  private current: StagingChunk | undefined;
  private readonly pool: Buffer[] = [];
  private writeOffset: number;
  /** Base of the segment `writeOffset` is in (it may be staged but not yet created). */
  private writeSegmentBase: number;
  private writing = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  /** Told each acknowledged append's latency (the store's StoreLatencyObserver); unset: nobody asks. */
  latencyObserver: StoreLatencyObserver | undefined;

  constructor(
    private readonly log: CommitLog,
    private readonly queues: ConsumeQueueTable,
    private readonly dispatcher: Dispatcher,
    private readonly flushDiskType: FlushDiskType,
    private readonly maxRecordSizeBytes: number,
    private readonly writeFailure: StoreWriteFailure,
  ) {
    this.writeOffset = log.fileEndOffset;
    this.writeSegmentBase = log.active?.baseOffset ?? 0;
  }

  /** Offset the next staged byte will get. */
  get stagedEndOffset(): number {
    return this.writeOffset;
  }

  /** Bytes staged or being written and synced whose records are not dispatched yet. */
  get undispatchedBytes(): number {
    return Math.max(0, this.writeOffset - this.dispatcher.dispatchedOffset);
  }

  append(messages: readonly MessageInput[]): Promise<AppendResult> {
    const failure = this.writeFailure.current;
    if (failure !== undefined) return Promise.resolve({ status: 'store-failed', reason: failure.reason, diskFull: failure.diskFull });
    if (messages.length === 0) return Promise.resolve({ status: 'ok', records: [] });
    const measured: MeasuredRecord[] = [];
    let total = 0;
    for (const message of messages) {
      const record = measureRecord(message);
      if ('error' in record) return Promise.resolve({ status: 'invalid', reason: record.error });
      if (record.size > this.maxRecordSizeBytes) {
        return Promise.resolve({ status: 'message-too-large', sizeBytes: record.size, maxBytes: this.maxRecordSizeBytes });
      }
      measured.push(record);
      total += record.size;
    }
    // A batch must fit one segment so recovery can check its completeness in one place.
    const segmentCapacity = this.log.segmentSizeBytes - BLANK_MIN_SIZE;
    if (total > segmentCapacity) {
      return Promise.resolve({ status: 'batch-too-large', sizeBytes: total, maxBytes: segmentCapacity });
    }
    const startedAtMs = performance.now();
    return new Promise<AppendResult>((resolve) => {
      this.stage(measured, total, resolve, startedAtMs);
      this.schedule();
    });
  }

  /** Resolves when nothing is staged or being written. */
  whenIdle(): Promise<void> {
    if (!this.writing && !this.scheduled && this.staged.length === 0 && !this.current?.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private stage(measured: MeasuredRecord[], total: number, resolve: (r: AppendResult) => void, startedAtMs: number): void {
    const segmentSize = this.log.segmentSizeBytes;
    let segmentBase = this.writeSegmentBase;
    const segmentEnd = segmentBase + segmentSize;
    if (this.writeOffset + total > segmentEnd) {
      // Roll: close the segment with a BLANK record (or < 8 bytes of nothing) and move on.
      const left = segmentEnd - this.writeOffset;
      if (left >= BLANK_MIN_SIZE) {
        const chunk = this.chunkFor(segmentBase, BLANK_MIN_SIZE);
        encodeBlank(chunk.buffer, chunk.length, left);
        chunk.length += BLANK_MIN_SIZE;
      }
      this.sealCurrent();
      this.writeOffset = segmentEnd;
      segmentBase = segmentEnd;
      this.writeSegmentBase = segmentEnd;
    }
    const chunk = this.chunkFor(segmentBase, total);
    const storeTimestampMs = Date.now();
    const waiter: Waiter = { resolve, records: [], startedAtMs };
    for (let i = 0; i < measured.length; i++) {
      const record = measured[i];
      const input = record.input;
      const queueOffset = record.type === RecordType.Normal || record.type === RecordType.Commit ? this.queues.reserveOffset(input.topic, input.queueId) : -1;
      encodeRecord(record, chunk.buffer, chunk.length, queueOffset, storeTimestampMs, i < measured.length - 1);
      const offset = this.writeOffset;
      chunk.records.push({
        type: record.type,
        offset,
        size: record.size,
        topic: input.topic,
        queueId: input.queueId,
        queueOffset,
        messageId: input.messageId,
        storeTimestampMs,
        preparedOffset: input.preparedOffset ?? -1,
        preparedSize: input.preparedSize ?? 0,
        bornTimestampMs: input.bornTimestampMs,
        property: (name) => input.properties?.[name],
        segmentBase,
        tagHash: record.tagHash,
        keys: input.keys ?? [],
      });
      waiter.records.push({ offset, size: record.size, queueOffset, storeTimestampMs });
      chunk.length += record.size;
      this.writeOffset += record.size;
    }
    chunk.waiters.push(waiter);
  }

  /** The current chunk if it is in `segmentBase` and has `bytes` free, else a new one. */
  private chunkFor(segmentBase: number, bytes: number): StagingChunk {
    const current = this.current;
    if (current && current.segmentBase === segmentBase && current.buffer.length - current.length >= bytes) return current;
    this.sealCurrent();
    const buffer = bytes <= CHUNK_SIZE_BYTES ? (this.pool.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE_BYTES)) : Buffer.allocUnsafe(bytes);
    this.current = { segmentBase, filePos: this.writeOffset - segmentBase, buffer, length: 0, records: [], waiters: [] };
    return this.current;
  }

  private sealCurrent(): void {
    if (this.current && this.current.length > 0) this.staged.push(this.current);
    else if (this.current) this.recycle(this.current.buffer);
    this.current = undefined;
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: appends arriving in the same I/O turn share the first write.
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      for (;;) {
        this.sealCurrent();
        if (this.staged.length === 0) break;
        const round = this.staged;
        this.staged = [];
        try {
          await this.writeRound(round);
        } catch (error) {
          this.fail(error as Error, round);
          break;
        }
      }
    } finally {
      this.writing = false;
      if (this.staged.length > 0 || this.current?.length) this.schedule();
      else this.notifyIdle();
    }
  }

  private async writeRound(round: StagingChunk[]): Promise<void> {
    let i = 0;
    while (i < round.length) {
      // Chunks of one segment are contiguous: one writev per segment.
      let j = i + 1;
      while (j < round.length && round[j].segmentBase === round[i].segmentBase) j++;
      const segment = await this.segmentForWrite(round[i].segmentBase);
      await this.log.write(
        segment,
        round.slice(i, j).map((c) => c.buffer.subarray(0, c.length)),
        round[i].filePos,
      );
      i = j;
    }
    const last = round[round.length - 1];
    const roundEnd = last.segmentBase + last.filePos + last.length;
    if (this.flushDiskType === 'SYNC_FLUSH') await this.log.flush(roundEnd);
    // One clock read per round: every append of the round is acknowledged now.
    const acknowledgedAtMs = performance.now();
    const observer = this.latencyObserver;
    for (const chunk of round) {
      for (const record of chunk.records) this.dispatcher.dispatch(record);
      for (const waiter of chunk.waiters) {
        waiter.resolve({ status: 'ok', records: waiter.records });
        observer?.appendAcknowledged((acknowledgedAtMs - waiter.startedAtMs) / 1000);
      }
      this.recycle(chunk.buffer);
    }
    this.dispatcher.dispatchedOffset = roundEnd;
  }

  /** The segment to write at `base`, rolling to it if needed (the old one is synced first). */
  private async segmentForWrite(base: number) {
    const active = this.log.active;
    if (active && active.baseOffset === base) return active;
    // Sync the segment being left so only the last segment can ever have a torn tail.
    if (active) await this.log.flush(active.endOffset);
    return this.log.openSegment(base);
  }

  private recycle(buffer: Buffer): void {
    if (buffer.length === CHUNK_SIZE_BYTES && this.pool.length < MAX_POOLED_CHUNKS) this.pool.push(buffer);
  }

  /**
   * Call when idle, after a failure: cuts the log back to the end of the last acknowledged
   * record (a failed round may have written part of itself, or all of it without the sync),
   * writes and syncs again what was acknowledged but may not be durable, and stages from there.
   * Throws if the disk still fails; the store stays refusing appends and calls again later.
   */
  async rewind(): Promise<void> {
    if (this.writing || this.scheduled || this.staged.length > 0 || this.current?.length) throw new Error('AppendPipeline.rewind() while appends are staged');
    await this.log.rewindTo(this.dispatcher.dispatchedOffset);
    await this.log.rewriteUnflushed();
    this.writeOffset = this.log.fileEndOffset;
    this.writeSegmentBase = this.log.active?.baseOffset ?? 0;
    // The failed records reserved queue offsets; reservations continue from what was dispatched.
    this.queues.resetReservations();
  }

  /** A write or flush failed: nothing staged can be trusted; refuse appends until rewind(). */
  private fail(error: Error, round: StagingChunk[]): void {
    const failure = this.writeFailure.record(error, 'appending to the commit log');
    const result: AppendResult = { status: 'store-failed', reason: failure.reason, diskFull: failure.diskFull };
    this.sealCurrent();
    for (const chunk of [...round, ...this.staged]) {
      for (const waiter of chunk.waiters) waiter.resolve(result);
      this.recycle(chunk.buffer);
    }
    this.staged = [];
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
