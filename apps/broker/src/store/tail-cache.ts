/**
 * A copy of the last `capacityBytes` bytes written to the commit log, by log offset, so that
 * reading what was just written (consumers keeping up) is a memory copy rather than a file read
 * on libuv's thread pool. Apache RocketMQ gets the same from its memory-mapped log: hot reads
 * hit the page cache without a system call.
 *
 * It is a ring: log offset `o` lives at `o % capacity`. It holds one contiguous range
 * `[start, end)`: bytes are added in log order, right after they were written; a skipped gap
 * (the unwritten end of a rolled segment, under 8 bytes) is zero-filled, and any other jump
 * restarts the range. A read wholly inside the range is served from it; anything else (older
 * bytes, a read reaching past the end) returns undefined and the caller reads the file.
 */
export class TailCache {
  private readonly ring: Buffer;
  private start = 0;
  private end = 0;

  constructor(readonly capacityBytes: number) {
    this.ring = Buffer.allocUnsafe(capacityBytes);
  }

  /** The cached range of log offsets, `[start, end)`. */
  get range(): { start: number; end: number } {
    return { start: this.start, end: this.end };
  }

  /** Records bytes just written at log offset `offset` (in order, after the previous ones). */
  add(offset: number, buffers: readonly Buffer[]): void {
    if (this.capacityBytes === 0) return;
    const gap = offset - this.end;
    if (gap < 0 || gap >= MAX_FILLED_GAP_BYTES || this.end === this.start) {
      this.start = this.end = offset;
    } else if (gap > 0) {
      this.copyIn(Buffer.alloc(gap));
    }
    for (const buffer of buffers) this.copyIn(buffer);
  }

  /** A copy of `length` bytes at `offset`, or undefined when they are not all cached. */
  read(offset: number, length: number): Buffer | undefined {
    if (length <= 0 || offset < this.start || offset + length > this.end) return undefined;
    const out = Buffer.allocUnsafe(length);
    const from = offset % this.capacityBytes;
    const first = Math.min(length, this.capacityBytes - from);
    this.ring.copy(out, 0, from, from + first);
    if (first < length) this.ring.copy(out, first, 0, length - first);
    return out;
  }

  /** Forgets everything below `offset` (retention deleted it). */
  dropBelow(offset: number): void {
    if (offset >= this.end) this.start = this.end;
    else if (offset > this.start) this.start = offset;
  }

  /** Forgets everything (the log was cut). */
  clear(): void {
    this.start = this.end;
  }

  private copyIn(buffer: Buffer): void {
    // Only the last `capacity` bytes of an oversized buffer can stay.
    const skip = Math.max(0, buffer.length - this.capacityBytes);
    let source = skip;
    let at = (this.end + skip) % this.capacityBytes;
    while (source < buffer.length) {
      const n = Math.min(buffer.length - source, this.capacityBytes - at);
      buffer.copy(this.ring, at, source, source + n);
      source += n;
      at = (at + n) % this.capacityBytes;
    }
    this.end += buffer.length;
    this.start = Math.max(this.start, this.end - this.capacityBytes);
  }
}

/** A segment ends with a BLANK record, or with fewer than 8 unwritten bytes: larger jumps restart the range. */
const MAX_FILLED_GAP_BYTES = 8;
