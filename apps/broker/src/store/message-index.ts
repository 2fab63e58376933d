import * as path from 'node:path';
import { makeDirectoryDurable, offsetFileName, writeFully } from './atomic-file';
import { listOffsetFiles } from './consume-queue';
import { INDEX_ENTRY_SIZE, SegmentIndex } from './segment-index';
import { StoreFileSystem } from './store-file-system';

/** The store's id and key index: one SegmentIndex per commit-log segment (segment-index.ts). */
export class MessageIndex {
  /** Ascending by base offset. */
  private segments: SegmentIndex[] = [];

  constructor(
    private readonly dir: string,
    private readonly fileSystem: StoreFileSystem,
  ) {}

  /** Adds a hash for the record at `offset`, which lies in the segment starting at `segmentBase`. */
  add(segmentBase: number, offset: number, hash: number): void {
    let last = this.segments[this.segments.length - 1];
    if (!last || last.baseOffset !== segmentBase) {
      last = this.segmentFor(segmentBase) ?? this.insert(new SegmentIndex(segmentBase));
    }
    last.add(hash, offset - segmentBase);
  }

  /** Candidate record offsets for a hash, newest first, each once. */
  lookup(hash: number): number[] {
    const result: number[] = [];
    for (let i = this.segments.length - 1; i >= 0; i--) result.push(...this.segments[i].lookup(hash));
    return result.length > 1 ? [...new Set(result)] : result;
  }

  /** Durable counts for the checkpoint: [segmentBase, count]. */
  snapshotCounts(): Array<[number, number]> {
    return this.segments.map((s) => [s.baseOffset, s.count]);
  }

  /** Appends each segment's new entries to its file and syncs it. */
  async persist(): Promise<void> {
    await makeDirectoryDurable(this.dir, this.fileSystem);
    for (const segment of this.segments) {
      if (segment.persistedCount === segment.count) continue;
      const { bytes, upTo } = segment.unpersistedBytes();
      const isNewFile = segment.persistedCount === 0;
      const handle = await this.fileSystem.open(path.join(this.dir, offsetFileName(segment.baseOffset)), 'read-write');
      try {
        const pos = segment.persistedCount * INDEX_ENTRY_SIZE;
        await handle.truncate(pos);
        await writeFully(handle, bytes, pos);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      if (isNewFile) await this.fileSystem.syncDirectory(this.dir);
      segment.markPersisted(upTo);
    }
  }

  /** Loads index files, trusting the checkpoint's counts; files without a count are dropped. */
  async load(durable: Map<number, number>): Promise<void> {
    this.segments = [];
    for (const name of await listOffsetFiles(this.dir, this.fileSystem)) {
      const base = Number(name);
      const count = durable.get(base) ?? 0;
      const data = await this.fileSystem.readFile(path.join(this.dir, name));
      this.segments.push(SegmentIndex.fromFile(base, data, count));
    }
  }

  /** Drops the indexes of segments below `minOffset` (retention) and deletes their files. */
  async dropBefore(segmentBases: number[]): Promise<void> {
    const drop = new Set(segmentBases);
    this.segments = this.segments.filter((s) => !drop.has(s.baseOffset));
    for (const base of segmentBases) await this.fileSystem.removeFile(path.join(this.dir, offsetFileName(base)));
  }

  async clear(): Promise<void> {
    this.segments = [];
    await this.fileSystem.removeTree(this.dir);
  }

  private segmentFor(base: number): SegmentIndex | undefined {
    return this.segments.find((s) => s.baseOffset === base);
  }

  private insert(segment: SegmentIndex): SegmentIndex {
    this.segments.push(segment);
    this.segments.sort((a, b) => a.baseOffset - b.baseOffset);
    return segment;
  }
}
