import * as path from 'node:path';
import { offsetFileName } from './atomic-file';
import { StoreFile, StoreFileSystem } from './store-file-system';

/**
 * One commit-log segment file, `commitlog/<20-digit base offset>`. Offsets handed out by the
 * store are global: a record at file position p of this segment has offset `baseOffset + p`.
 * Files are not preallocated: their length is exactly what has been written.
 */
export class CommitLogSegment {
  /** Bytes written to the file (its length). */
  writtenBytes: number;

  private constructor(
    readonly baseOffset: number,
    readonly file: string,
    readonly handle: StoreFile,
    private readonly fileSystem: StoreFileSystem,
    writtenBytes: number,
    /** Last write time, for retention. */
    public lastWriteMs: number,
  ) {
    this.writtenBytes = writtenBytes;
  }

  static async open(dir: string, baseOffset: number, fileSystem: StoreFileSystem): Promise<CommitLogSegment> {
    const file = path.join(dir, offsetFileName(baseOffset));
    const handle = await fileSystem.open(file, 'read-write');
    const stat = await handle.stat();
    return new CommitLogSegment(baseOffset, file, handle, fileSystem, stat.size, stat.mtimeMs);
  }

  get endOffset(): number {
    return this.baseOffset + this.writtenBytes;
  }

  async read(target: Buffer, targetPos: number, length: number, filePos: number): Promise<number> {
    const { bytesRead } = await this.handle.read(target, targetPos, length, filePos);
    return bytesRead;
  }

  /** Writes buffers at a file position (one writev syscall). */
  async write(buffers: Buffer[], filePos: number): Promise<void> {
    let pos = filePos;
    let pending = buffers;
    // writev may write less than asked (rare for regular files): continue from where it stopped.
    for (;;) {
      const total = pending.reduce((sum, b) => sum + b.length, 0);
      const { bytesWritten } = await this.handle.writev(pending, pos);
      pos += bytesWritten;
      if (bytesWritten >= total) break;
      pending = skipBytes(pending, bytesWritten);
    }
    this.writtenBytes = Math.max(this.writtenBytes, pos);
    this.lastWriteMs = Date.now();
  }

  async datasync(): Promise<void> {
    await this.handle.datasync();
  }

  /** Cuts the file at a position (torn tail or repair) and syncs the new length. */
  async truncate(filePos: number): Promise<void> {
    await this.handle.truncate(filePos);
    await this.handle.sync();
    this.writtenBytes = filePos;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  async remove(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await this.fileSystem.removeFile(this.file);
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = count;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}
