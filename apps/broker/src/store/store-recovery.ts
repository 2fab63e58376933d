import { Logger } from 'pino';
import { CheckpointData } from './checkpoint';
import { CommitLog } from './commit-log';
import { CommitLogSegment } from './commit-log-segment';
import { ConsumeQueueTable, queueKey } from './consume-queue-table';
import { DispatchRequest, Dispatcher } from './dispatcher';
import { MessageIndex } from './message-index';
import { RecoveryReport } from './message-store';
import { BLANK_MIN_SIZE, HEADER_SIZE, MIN_RECORD_SIZE, checkRecord, hasBatchMore, nextRecordCandidate } from './record-codec';
import { DispatchDecoder } from './dispatch-decoder';
import { StoreCorruptionError } from './store.errors';

/** Recovery reads the log in windows of this size. */
const SCAN_WINDOW_BYTES = 8 * 1024 * 1024;

interface ScanResult {
  /** Where the log was cut, if it was. */
  cutAt?: number;
  scannedBytes: number;
  redispatched: number;
  truncatedBytes: number;
  repaired?: RecoveryReport['repaired'];
}

/** Where a scan stopped early, and why. */
interface ScanStop {
  segment: CommitLogSegment;
  filePos: number;
  kind: 'torn-tail' | 'corrupt';
  reason: string;
}

/**
 * Brings consume queues and indexes in line with the commit log when the store opens
 * (STYLE 8). The log is the only source of truth: projections are trusted up to the counts in
 * the checkpoint, and everything after its `dispatchedOffset` is re-dispatched from the log.
 */
export class StoreRecovery {
  private readonly decoder = new DispatchDecoder();
  /** Every log byte below this offset was fdatasync'ed (the checkpoint says so): never a torn tail. */
  private durableOffset = 0;

  constructor(
    private readonly log: CommitLog,
    private readonly queues: ConsumeQueueTable,
    private readonly index: MessageIndex,
    private readonly dispatcher: Dispatcher,
    private readonly repair: boolean,
    private readonly logger: Logger,
  ) {}

  /**
   * The last run wrote its clean-shutdown marker: the checkpoint covers the whole log, so the
   * projections are loaded as they are. If the files disagree with the checkpoint, the marker
   * is not trusted and crash recovery runs instead.
   */
  async recoverAfterCleanShutdown(checkpoint: CheckpointData | undefined, startedAtMs: number): Promise<RecoveryReport> {
    const end = this.log.fileEndOffset;
    if (!checkpoint || checkpoint.dispatchedOffset !== end || checkpoint.logFlushedOffset < end) {
      this.logger.warn({ checkpoint, logEnd: end }, 'clean-shutdown marker present but checkpoint does not match the log; recovering as after a crash');
      return this.recoverAfterCrash(checkpoint, startedAtMs);
    }
    await this.loadProjections(checkpoint);
    this.dispatcher.dispatchedOffset = end;
    this.log.flushedOffset = end;
    this.finish();
    return this.report('clean-shutdown', startedAtMs, { scannedBytes: 0, redispatched: 0, truncatedBytes: 0 });
  }

  /**
   * No clean-shutdown marker: scan from the checkpoint, verify every record's CRC, cut a torn
   * tail (and an unfinished batch), refuse to start on corruption before the tail unless
   * repairing, and rebuild projections past the checkpoint.
   */
  async recoverAfterCrash(checkpoint: CheckpointData | undefined, startedAtMs: number): Promise<RecoveryReport> {
    this.durableOffset = checkpoint?.logFlushedOffset ?? 0;
    let start: number;
    if (checkpoint && checkpoint.dispatchedOffset >= this.log.minOffset && checkpoint.dispatchedOffset <= this.log.fileEndOffset) {
      await this.loadProjections(checkpoint);
      start = checkpoint.dispatchedOffset;
    } else {
      // No usable checkpoint: rebuild every projection from the log.
      await this.queues.clear();
      await this.index.clear();
      start = this.log.minOffset;
    }
    // Records before the checkpoint are not re-dispatched, but the whole active segment is
    // CRC-checked: corruption there is refused now rather than found by a consumer later.
    const active = this.log.active;
    const verifyFrom = active ? Math.min(start, active.baseOffset) : start;
    let result = await this.scanFrom(Math.max(verifyFrom, this.log.minOffset), start);
    if (result.cutAt !== undefined && result.cutAt < start) {
      // A repair cut below what the loaded projections cover: rebuild them from the log.
      await this.queues.clear();
      await this.index.clear();
      const rebuilt = await this.scanFrom(this.log.minOffset, this.log.minOffset);
      result = { ...rebuilt, scannedBytes: result.scannedBytes + rebuilt.scannedBytes, truncatedBytes: result.truncatedBytes, repaired: result.repaired };
    }
    this.log.flushedOffset = this.log.fileEndOffset;
    this.finish();
    return this.report('crash', startedAtMs, result);
  }

  private async loadProjections(checkpoint: CheckpointData): Promise<void> {
    await this.queues.load(new Map(checkpoint.consumeQueues.map(([topic, queueId, count]) => [queueKey(topic, queueId), count])));
    await this.index.load(new Map(checkpoint.indexes));
  }

  /** Retention may have removed segments the queues still point into; new reservations start at each queue's end. */
  private finish(): void {
    for (const queue of this.queues.all()) queue.advanceMinOffset(this.log.minOffset);
    this.queues.resetReservations();
  }

  /** CRC-checks records from `verifyFrom` and re-dispatches those at or after `dispatchFrom`. */
  private async scanFrom(verifyFrom: number, dispatchFrom: number): Promise<ScanResult> {
    const result: ScanResult = { scannedBytes: 0, redispatched: 0, truncatedBytes: 0 };
    this.dispatcher.dispatchedOffset = dispatchFrom;
    const start = verifyFrom;
    const segments = this.log.all.filter((s) => s.endOffset > start || s.baseOffset >= start);
    let pendingBatch: DispatchRequest[] = [];
    let stop: ScanStop | undefined;
    for (let i = 0; i < segments.length && !stop; i++) {
      const segment = segments[i];
      const isLast = i === segments.length - 1;
      const outcome = await this.scanSegment(segment, Math.max(0, start - segment.baseOffset), dispatchFrom, isLast, pendingBatch, result);
      pendingBatch = outcome.pendingBatch;
      stop = outcome.stop;
      if (!stop && isLast && outcome.sawBlank) {
        // The log rolled but the next segment was never written: start it now.
        await this.log.openSegment(segment.baseOffset + this.log.segmentSizeBytes);
      }
    }
    // A batch without its last record is dropped whole.
    let cutAt: number | undefined;
    if (pendingBatch.length > 0) cutAt = pendingBatch[0].offset;
    if (stop) {
      const stopOffset = stop.segment.baseOffset + stop.filePos;
      cutAt = cutAt === undefined ? stopOffset : Math.min(cutAt, stopOffset);
      if (stop.kind === 'corrupt') {
        if (!this.repair) throw new StoreCorruptionError(stop.segment.file, stop.filePos, stop.reason);
        result.repaired = { file: stop.segment.file, fileOffset: stop.filePos, reason: stop.reason };
        this.logger.error({ ...result.repaired }, 'repair: truncating the commit log at a corrupt record');
      }
    }
    if (cutAt !== undefined) {
      const end = this.log.fileEndOffset;
      result.truncatedBytes = end - cutAt;
      result.cutAt = cutAt;
      await this.log.truncate(cutAt);
      this.logger.warn({ offset: cutAt, bytes: result.truncatedBytes, reason: stop?.reason ?? 'unfinished batch' }, 'truncated the commit log tail');
    }
    if (this.dispatcher.dispatchedOffset < this.log.fileEndOffset) this.dispatcher.dispatchedOffset = this.log.fileEndOffset;
    return result;
  }

  /** Scans one segment from `filePos`; dispatches complete records and batches. */
  private async scanSegment(
    segment: CommitLogSegment,
    fromPos: number,
    dispatchFrom: number,
    isLast: boolean,
    pendingBatch: DispatchRequest[],
    result: ScanResult,
  ): Promise<{ pendingBatch: DispatchRequest[]; stop?: ScanStop; sawBlank: boolean }> {
    const fileEnd = segment.writtenBytes;
    let window = Buffer.allocUnsafe(Math.min(SCAN_WINDOW_BYTES, Math.max(fileEnd - fromPos, BLANK_MIN_SIZE)));
    let windowPos = fromPos;
    let windowEnd = 0;
    let pos = fromPos;
    let batch = pendingBatch;
    for (;;) {
      if (pos >= fileEnd) {
        // Data ended. Only the last segment may end anywhere; others end with BLANK or are full.
        if (!isLast && this.log.segmentSizeBytes - pos >= BLANK_MIN_SIZE) {
          return { pendingBatch: batch, sawBlank: false, stop: { segment, filePos: pos, kind: 'corrupt', reason: 'segment ends early without an end-of-segment record' } };
        }
        return { pendingBatch: batch, sawBlank: false };
      }
      if (pos + BLANK_MIN_SIZE > windowPos + windowEnd || pos + peekSize(window, pos - windowPos, windowEnd) > windowPos + windowEnd) {
        // Refill the window at this record so it holds the whole record (or everything left).
        const need = Math.min(fileEnd - pos, Math.max(SCAN_WINDOW_BYTES, peekSize(window, pos - windowPos, windowEnd)));
        if (window.length < need) window = Buffer.allocUnsafe(need);
        windowPos = pos;
        windowEnd = await segment.read(window, 0, need, pos);
      }
      const local = pos - windowPos;
      const check = checkRecord(window, local, windowEnd);
      const atTail = isLast;
      switch (check.kind) {
        case 'record': {
          result.scannedBytes += check.size;
          if (segment.baseOffset + pos < dispatchFrom) {
            pos += check.size;
            break;
          }
          const request = this.decoder.decode(window, local, segment.baseOffset + pos, check.size, segment.baseOffset);
          if (batch.length === 0 && !hasBatchMore(window, local)) {
            this.dispatcher.dispatch(request);
            result.redispatched++;
          } else {
            batch.push(request);
            if (!hasBatchMore(window, local)) {
              for (const r of batch) this.dispatcher.dispatch(r);
              result.redispatched += batch.length;
              batch = [];
            }
          }
          pos += check.size;
          break;
        }
        case 'blank':
          return { pendingBatch: batch, sawBlank: true };
        case 'end': {
          if (pos >= fileEnd) return { pendingBatch: batch, sawBlank: false };
          // Zeros at the tail may be a write the file system extended but never filled.
          const reason = 'zeros where a record was expected';
          return { pendingBatch: batch, sawBlank: false, stop: await this.stopAt(segment, pos, atTail, reason) };
        }
        case 'incomplete': {
          // The last write may have been cut short, but only where the size it claims fits its
          // segment: a larger one is a damaged size field, not a partial record.
          const fits = check.size <= this.log.segmentSizeBytes - pos;
          const reason = fits ? `record of ${check.size} bytes cut short` : `record size ${check.size} runs past the end of its segment`;
          return { pendingBatch: batch, sawBlank: false, stop: await this.stopAt(segment, pos, atTail && fits, reason) };
        }
        case 'corrupt':
          return { pendingBatch: batch, sawBlank: false, stop: await this.stopAt(segment, pos, atTail, check.reason) };
      }
    }
  }

  /**
   * Where a scan must stop at a record that is not whole: a torn tail, which may be cut, only if
   * it may be the last write of a crash — in the last segment, past what the checkpoint says was
   * synced, and with no record that verifies anywhere after it in the file. Anything else is
   * damage to acknowledged data, refused without `repair`.
   */
  private async stopAt(segment: CommitLogSegment, filePos: number, mayBeTail: boolean, reason: string): Promise<ScanStop> {
    if (!mayBeTail) return { segment, filePos, kind: 'corrupt', reason };
    if (segment.baseOffset + filePos < this.durableOffset) {
      return { segment, filePos, kind: 'corrupt', reason: `${reason}, below the offset ${this.durableOffset} the checkpoint records as synced` };
    }
    const follower = await findRecordInFile(segment, filePos + 1);
    if (follower !== undefined) {
      return { segment, filePos, kind: 'corrupt', reason: `${reason}, followed by a valid record at file offset ${follower}` };
    }
    return { segment, filePos, kind: 'torn-tail', reason };
  }

  private report(mode: RecoveryReport['mode'], startedAtMs: number, scan: ScanResult): RecoveryReport {
    return {
      mode,
      minOffset: this.log.minOffset,
      maxOffset: this.log.fileEndOffset,
      scannedBytes: scan.scannedBytes,
      redispatchedRecords: scan.redispatched,
      truncatedBytes: scan.truncatedBytes,
      repaired: scan.repaired,
      durationMs: Date.now() - startedAtMs,
    };
  }
}

/**
 * The file position of the first record at or after `fromPos` that verifies, or undefined: reads
 * the rest of the file in windows (overlapping by a header, so no candidate falls between two)
 * and reads a candidate whole when the window holds only its start.
 */
async function findRecordInFile(segment: CommitLogSegment, fromPos: number): Promise<number | undefined> {
  const fileEnd = segment.writtenBytes;
  if (fileEnd - fromPos < MIN_RECORD_SIZE) return undefined;
  const window = Buffer.allocUnsafe(Math.min(SCAN_WINDOW_BYTES, fileEnd - fromPos));
  for (let start = fromPos; ; start += window.length - HEADER_SIZE) {
    const length = await segment.read(window, 0, Math.min(window.length, fileEnd - start), start);
    for (let pos = nextRecordCandidate(window, 0, length); pos !== undefined; pos = nextRecordCandidate(window, pos + 1, length)) {
      const size = window.readUInt32BE(pos);
      if (size < MIN_RECORD_SIZE || start + pos + size > fileEnd) continue;
      if (pos + size <= length ? checkRecord(window, pos, length).kind === 'record' : await verifiesInFile(segment, start + pos, size)) return start + pos;
    }
    if (start + length >= fileEnd) return undefined;
  }
}

async function verifiesInFile(segment: CommitLogSegment, filePos: number, size: number): Promise<boolean> {
  const whole = Buffer.allocUnsafe(size);
  const read = await segment.read(whole, 0, size, filePos);
  return read === size && checkRecord(whole, 0, size).kind === 'record';
}

/** The size field of the record at `pos`, or 0 if it is not in the window. */
function peekSize(window: Buffer, pos: number, windowEnd: number): number {
  return pos >= 0 && pos + 4 <= windowEnd ? window.readUInt32BE(pos) : 0;
}
