import { performance } from 'node:perf_hooks';
import { listOffsetFiles } from './consume-queue';
import { CommitLogSegment } from './commit-log-segment';
import { makeDirectoryDurable } from './atomic-file';
import { StoreLatencyObserver } from './store-latency-observer';
import { StoreFileSystem } from './store-file-system';
import { TailCache } from './tail-cache';

/** rewriteUnflushed() reads and writes in pieces of this size. */
const REWRITE_CHUNK_BYTES = 1024 * 1024;

/**
 * The commit log's segment files: opening, rolling, reading, truncating, retention. The one
 * writer (AppendPipeline) decides what goes where; this class owns the files.
 */
export class CommitLog {
  /** Ascending by base offset; the last one is active. */
  private segments: CommitLogSegment[] = [];
  /** Offset below which every byte is known to be fdatasync'ed. */
  flushedOffset = 0;
  /** Told how long each flush took (the store's StoreLatencyObserver); unset: nobody asks. */
  latencyObserver: StoreLatencyObserver | undefined;
  /** The last bytes written, for reads of what was just written (tail-cache.ts). */
  private readonly tail: TailCache;

  constructor(
    readonly dir: string,
    readonly segmentSizeBytes: number,
    tailCacheBytes: number,
    private readonly fileSystem: StoreFileSystem,
  ) {
    this.tail = new TailCache(tailCacheBytes);
  }

  async load(): Promise<void> {
    await makeDirectoryDurable(this.dir, this.fileSystem);
    for (const name of await listOffsetFiles(this.dir, this.fileSystem)) {
      this.segments.push(await CommitLogSegment.open(this.dir, Number(name), this.fileSystem));
    }
  }

  get all(): readonly CommitLogSegment[] {
    return this.segments;
  }

  get minOffset(): number {
    return this.segments.length > 0 ? this.segments[0].baseOffset : 0;
  }

  /** End of the bytes in the files (what recovery found, plus what was written since). */
  get fileEndOffset(): number {
    const last = this.segments[this.segments.length - 1];
    return last ? last.endOffset : 0;
  }

  get active(): CommitLogSegment | undefined {
    return this.segments[this.segments.length - 1];
  }

  /** The segment holding `offset`, or undefined if retention removed it / not yet written. */
  segmentFor(offset: number): CommitLogSegment | undefined {
    // Binary search for the last segment starting at or before the offset.
    let low = 0;
    let high = this.segments.length - 1;
    let found: CommitLogSegment | undefined;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = this.segments[mid];
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /** Base offset of the segment a record at `offset` belongs to. */
  segmentBaseFor(offset: number): number {
    const segment = this.segmentFor(offset);
    if (segment) return segment.baseOffset;
    return offset - (offset % this.segmentSizeBytes);
  }

  /** Opens (creating) the segment starting at `baseOffset`; it becomes the active one. */
  async openSegment(baseOffset: number): Promise<CommitLogSegment> {
    const existing = this.segments.find((s) => s.baseOffset === baseOffset);
    if (existing) return existing;
    const segment = await CommitLogSegment.open(this.dir, baseOffset, this.fileSystem);
    this.segments.push(segment);
    this.segments.sort((a, b) => a.baseOffset - b.baseOffset);
    await this.fileSystem.syncDirectory(this.dir);
    return segment;
  }

  /** Writes `buffers` at `filePos` of `segment` (the append pipeline is the one writer) and keeps them in the tail cache. */
  async write(segment: CommitLogSegment, buffers: Buffer[], filePos: number): Promise<void> {
    await segment.write(buffers, filePos);
    this.tail.add(segment.baseOffset + filePos, buffers);
  }

  /**
   * Reads `length` bytes at `offset`, from the tail cache when it holds them all, else from the
   * file. Returns fewer bytes if the data ends first, and undefined if no segment holds the offset.
   */
  async read(offset: number, length: number): Promise<Buffer | undefined> {
    const segment = this.segmentFor(offset);
    if (!segment) return undefined;
    const filePos = offset - segment.baseOffset;
    const available = Math.min(length, segment.writtenBytes - filePos);
    if (available <= 0) return undefined;
    const cached = this.tail.read(offset, available);
    if (cached) return cached;
    const buffer = Buffer.allocUnsafe(available);
    const read = await segment.read(buffer, 0, available, filePos);
    return read === available ? buffer : buffer.subarray(0, read);
  }

  /** fdatasyncs every segment that may hold unflushed bytes, then advances flushedOffset; reports how long that took. */
  async flush(upTo: number): Promise<void> {
    if (upTo <= this.flushedOffset) return;
    const startedAtMs = performance.now();
    for (const segment of this.segments) {
      if (segment.endOffset > this.flushedOffset && segment.baseOffset < upTo) await segment.datasync();
    }
    this.flushedOffset = Math.max(this.flushedOffset, upTo);
    this.latencyObserver?.flushed((performance.now() - startedAtMs) / 1000);
  }

  /**
   * Cuts the log at `offset`: the holding segment is truncated, later segments deleted. A cut
   * exactly at a segment's start keeps that segment (empty), so the log resumes there and never
   * behind the previous segment's BLANK record.
   */
  async truncate(offset: number): Promise<void> {
    const keep: CommitLogSegment[] = [];
    for (const segment of this.segments) {
      if (segment.baseOffset > offset) {
        await segment.remove();
      } else {
        if (segment.endOffset > offset) await segment.truncate(offset - segment.baseOffset);
        keep.push(segment);
      }
    }
    this.segments = keep;
    this.tail.clear();
    this.flushedOffset = Math.min(this.flushedOffset, offset);
    await this.fileSystem.syncDirectory(this.dir);
  }

  /**
   * After a failed write: cuts the log back to `offset`, the end of the last acknowledged record,
   * including bytes a short or failed write left past the end this class knows of.
   */
  async rewindTo(offset: number): Promise<void> {
    await this.truncate(offset);
    const holder = this.active;
    if (holder && holder.endOffset === offset) await holder.truncate(offset - holder.baseOffset);
  }

  /**
   * Writes the bytes past `flushedOffset` again, from what the files hold, and syncs them. After
   * a failed fdatasync, Linux may have marked those pages clean without writing them, so a later
   * fdatasync that succeeds would not cover them: writing them again makes them dirty again.
   */
  async rewriteUnflushed(): Promise<void> {
    const end = this.fileEndOffset;
    for (const segment of this.segments) {
      let offset = Math.max(this.flushedOffset, segment.baseOffset);
      while (offset < segment.endOffset) {
        const length = Math.min(REWRITE_CHUNK_BYTES, segment.endOffset - offset);
        const data = Buffer.allocUnsafe(length);
        const read = await segment.read(data, 0, length, offset - segment.baseOffset);
        if (read <= 0) break;
        await segment.write([data.subarray(0, read)], offset - segment.baseOffset);
        offset += read;
      }
    }
    await this.flush(end);
  }

  /**
   * Deletes non-active segments whose last write is older than `cutoffMs`, oldest first,
   * stopping at the first one still young (the log stays contiguous). Returns deleted bases.
   */
  async deleteSegmentsOlderThan(cutoffMs: number): Promise<number[]> {
    const deleted: number[] = [];
    while (this.segments.length > 1 && this.segments[0].lastWriteMs < cutoffMs) {
      const segment = this.segments.shift() as CommitLogSegment;
      await segment.remove();
      deleted.push(segment.baseOffset);
    }
    if (deleted.length > 0) await this.fileSystem.syncDirectory(this.dir);
    this.tail.dropBelow(this.minOffset);
    return deleted;
  }

  async close(): Promise<void> {
    for (const segment of this.segments) await segment.close();
    this.segments = [];
  }
}
