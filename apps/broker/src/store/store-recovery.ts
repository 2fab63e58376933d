import { Logger } from 'pino';
import { CheckpointData, CheckpointRead } from './checkpoint';
import { CommitLog } from './commit-log';
import { CommitLogSegment } from './commit-log-segment';
import { ConsumeQueueTable } from './consume-queue-table';
import { DispatchRequest, Dispatcher } from './dispatcher';
import { MessageIndex } from './message-index';
import { RecoveryReport } from './message-store';
import { RecordType } from './message-record';
import { BLANK_MAGIC, BLANK_MIN_SIZE, checkRecord, decodeRecord, hasBatchMore } from './record-codec';
import { findRecordInFile } from './segment-record-search';
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
  /** The checkpoint (verified) saw the log synced up to here: it must not end before. */
  private syncedEnd = 0;
  /** Set when checkFiles() found damage that `repair` accepted. */
  private repairedBeforeScan: RecoveryReport['repaired'];
  /** Set when damaged projection files were rebuilt from the log: what was wrong with each. */
  private rebuiltProjections: string[] | undefined;

  constructor(
    private readonly log: CommitLog,
    private readonly queues: ConsumeQueueTable,
    private readonly index: MessageIndex,
    private readonly dispatcher: Dispatcher,
    private readonly repair: boolean,
    private readonly logger: Logger,
  ) {}

  /**
   * Checks what the checkpoint and the log's file layout say before either recovery path trusts
   * them, and returns the checkpoint to use (undefined: recover from the log alone).
   * - A checkpoint that does not parse, has an unknown version or fails its checksum is ignored
   *   with a warning: projections are rebuilt from the log, as if it were missing.
   * - A segment missing between two others, or an old segment that ends without its
   *   end-of-segment record (truncated), is damage to acknowledged data: refused with
   *   STORE_ERR_CORRUPT_RECORD, or with `repair` the log is cut there.
   * - A checkpoint whose offsets lie past the end of the log: if it verified (version 2 checksum),
   *   the log lost bytes the checkpoint saw synced (a truncated last segment, a missing tail
   *   segment): crash recovery finds and refuses it (with `repair`, recovers what the log holds);
   *   an unverified (version 1) one is taken as damaged and ignored with a warning.
   */
  async checkFiles(read: CheckpointRead, checkpointFile: string): Promise<CheckpointData | undefined> {
    if (read.kind === 'damaged') {
      this.logger.warn(
        { file: checkpointFile, reason: read.reason },
        `checkpoint ${checkpointFile} is damaged (${read.reason}); rebuilding consume queues and indexes from the commit log`,
      );
    }
    await this.checkSegmentLayout();
    if (read.kind !== 'valid') return undefined;
    const checkpoint = read.data;
    const end = this.log.fileEndOffset;
    if (checkpoint.logFlushedOffset <= end && checkpoint.dispatchedOffset <= end) return checkpoint;
    if (!read.verified) {
      const reason = `the commit log ends at offset ${end}, but the checkpoint records ${checkpoint.logFlushedOffset} as synced and ${checkpoint.dispatchedOffset} as dispatched`;
      this.logger.warn(
        { file: checkpointFile, reason },
        `checkpoint ${checkpointFile} does not match the log (${reason}); rebuilding consume queues and indexes from the commit log`,
      );
      return undefined;
    }
    // Verified: the log lost bytes that were synced. The crash path finds where, if the log ends
    // inside a record; if it ends on a record boundary, it is refused after the scan.
    this.syncedEnd = checkpoint.logFlushedOffset;
    return checkpoint;
  }

  /** After a scan: the log must still reach what the checkpoint saw synced (see checkFiles). */
  private checkSyncedEnd(result: ScanResult): void {
    const end = this.log.fileEndOffset;
    if (this.syncedEnd <= end || result.repaired) return;
    const last = this.log.active;
    const file = last?.file ?? this.log.dir;
    const fileOffset = last ? last.writtenBytes : 0;
    const reason = `the commit log ends at offset ${end}, below the offset ${this.syncedEnd} the checkpoint records as synced: acknowledged records are missing (segment truncated or removed)`;
    if (!this.repair) throw new StoreCorruptionError(file, fileOffset, reason);
    result.repaired = { file, fileOffset, reason };
    this.logger.error({ ...result.repaired }, 'repair: recovering from what the commit log holds');
  }

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
    if (!(await this.loadProjections(checkpoint))) return this.recoverAfterCrash(undefined, startedAtMs, checkpoint.logFlushedOffset);
    this.dispatcher.dispatchedOffset = end;
    this.log.flushedOffset = end;
    this.finish();
    return this.report('clean-shutdown', startedAtMs, { scannedBytes: 0, redispatched: 0, truncatedBytes: 0 });
  }

  /**
   * No clean-shutdown marker: scan from the checkpoint, verify every record's CRC, cut a torn
   * tail (and an unfinished batch), refuse to start on corruption before the tail unless
   * repairing, and rebuild projections past the checkpoint. Damaged projection files (or none
   * usable) mean every projection is rebuilt from the whole log, every record CRC-checked.
   */
  async recoverAfterCrash(checkpoint: CheckpointData | undefined, startedAtMs: number, durableOffset?: number): Promise<RecoveryReport> {
    this.durableOffset = durableOffset ?? checkpoint?.logFlushedOffset ?? 0;
    let start: number;
    if (
      checkpoint &&
      checkpoint.dispatchedOffset >= this.log.minOffset &&
      checkpoint.dispatchedOffset <= this.log.fileEndOffset &&
      (await this.loadProjections(checkpoint))
    ) {
      start = checkpoint.dispatchedOffset;
    } else {
      // No usable checkpoint or projections: rebuild every projection from the log.
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
    this.checkSyncedEnd(result);
    this.log.flushedOffset = this.log.fileEndOffset;
    this.finish();
    return this.report('crash', startedAtMs, result);
  }

  /**
   * Loads projections as the checkpoint describes them and checks them (file sizes, checksums,
   * each queue's last entry against the log). False, with a warning naming each damaged file,
   * if any is damaged: the caller rebuilds them all from the log.
   */
  private async loadProjections(checkpoint: CheckpointData): Promise<boolean> {
    const problems = await this.queues.load(checkpoint.consumeQueues, checkpoint.dispatchedOffset);
    problems.push(...(await this.index.load(checkpoint.indexes, (base) => this.log.all.find((s) => s.baseOffset === base)?.writtenBytes)));
    if (problems.length === 0) problems.push(...(await this.checkLastEntries()));
    if (problems.length === 0) return true;
    for (const problem of problems) this.logger.warn({ problem }, `damaged projection: ${problem}`);
    this.logger.warn({ damaged: problems.length }, 'consume queues or indexes are damaged; rebuilding them all from the commit log');
    this.rebuiltProjections = problems;
    await this.queues.clear();
    await this.index.clear();
    return false;
  }

  /**
   * Reads the record each queue's last entry points at: it must verify and belong to that queue
   * (topic, queue id and, for a normal record, queue offset). One read per queue. A record that
   * fails its CRC where the queue file passed its checksum is damage to the log, not to the
   * queue: reads report it, as for any damage below the tail.
   */
  private async checkLastEntries(): Promise<string[]> {
    const problems: string[] = [];
    for (const queue of this.queues.all()) {
      if (queue.maxOffset <= queue.minOffset) continue;
      const entry = queue.entryAt(queue.maxOffset - 1);
      if (entry.commitLogOffset < this.log.minOffset) continue;
      const data = await this.log.read(entry.commitLogOffset, entry.size);
      const where = `consume queue ${queue.topic}/${queue.queueId}: entry ${entry.queueOffset} (log offset ${entry.commitLogOffset}, ${entry.size} bytes)`;
      if (!data || data.length !== entry.size || checkRecord(data, 0, data.length).kind !== 'record') {
        if (!queue.lastEntryChecksummed) problems.push(`${where} points at no whole record`);
        continue;
      }
      const record = decodeRecord(data, 0, entry.commitLogOffset);
      const belongs =
        record.topic === queue.topic &&
        record.queueId === queue.queueId &&
        (record.type === RecordType.Prepared || (record.type === RecordType.Normal && record.queueOffset === entry.queueOffset));
      if (!belongs) problems.push(`${where} points at a record of ${record.topic}/${record.queueId} queue offset ${record.queueOffset}`);
    }
    return problems;
  }

  /**
   * Segments must follow each other without gaps, and every segment but the last must end with
   * its end-of-segment record (or within BLANK_MIN_SIZE bytes of its size): one 8-byte read per
   * segment. Anything else is a removed or truncated segment.
   */
  private async checkSegmentLayout(): Promise<void> {
    const segments = this.log.all;
    for (let i = 0; i + 1 < segments.length; i++) {
      const segment = segments[i];
      const next = segments[i + 1];
      const expectedNext = segment.baseOffset + this.log.segmentSizeBytes;
      let problem: { filePos: number; reason: string } | undefined;
      if (next.baseOffset !== expectedNext) {
        problem = { filePos: segment.writtenBytes, reason: `the next segment starts at ${next.baseOffset}, not ${expectedNext}: a segment file is missing` };
      } else if (segment.writtenBytes <= this.log.segmentSizeBytes - BLANK_MIN_SIZE) {
        const tail = Buffer.alloc(BLANK_MIN_SIZE);
        const read = segment.writtenBytes >= BLANK_MIN_SIZE ? await segment.read(tail, 0, BLANK_MIN_SIZE, segment.writtenBytes - BLANK_MIN_SIZE) : 0;
        const blankAt = segment.writtenBytes - BLANK_MIN_SIZE;
        const ok = read === BLANK_MIN_SIZE && tail.readUInt32BE(4) === BLANK_MAGIC && tail.readUInt32BE(0) === this.log.segmentSizeBytes - blankAt;
        if (!ok)
          problem = { filePos: segment.writtenBytes, reason: `segment ends at ${segment.writtenBytes} bytes without an end-of-segment record (truncated)` };
      }
      if (!problem) continue;
      if (!this.repair) throw new StoreCorruptionError(segment.file, problem.filePos, problem.reason);
      this.repairedBeforeScan = { file: segment.file, fileOffset: problem.filePos, reason: problem.reason };
      this.logger.error({ ...this.repairedBeforeScan }, 'repair: truncating the commit log where segments are missing or truncated');
      await this.log.truncate(segment.baseOffset + segment.writtenBytes);
      return;
    }
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
          return {
            pendingBatch: batch,
            sawBlank: false,
            stop: { segment, filePos: pos, kind: 'corrupt', reason: 'segment ends early without an end-of-segment record' },
          };
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
      repaired: scan.repaired ?? this.repairedBeforeScan,
      rebuiltProjections: this.rebuiltProjections,
      durationMs: Date.now() - startedAtMs,
    };
  }
}

/** The size field of the record at `pos`, or 0 if it is not in the window. */
function peekSize(window: Buffer, pos: number, windowEnd: number): number {
  return pos >= 0 && pos + 4 <= windowEnd ? window.readUInt32BE(pos) : 0;
}
