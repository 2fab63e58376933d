import * as path from 'node:path';
import { makeDirectoryDurable, offsetFileName, writeFully } from './atomic-file';
import { IndexCheckpoint } from './checkpoint';
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

  /** What the checkpoint records: each segment's persisted count and the checksum of those entries. */
  checkpointEntries(): IndexCheckpoint[] {
    return this.segments.map((s) => ({ segmentBase: s.baseOffset, count: s.persistedCount, crc: s.persistedChecksum }));
  }

  /** Appends each segment's new entries, up to its count in `upTo` (snapshotCounts()), to its file and syncs it. */
  async persist(upTo: ReadonlyArray<[number, number]> = this.snapshotCounts()): Promise<void> {
    await makeDirectoryDurable(this.dir, this.fileSystem);
    const counts = new Map(upTo);
    for (const segment of this.segments) {
      const count = Math.min(counts.get(segment.baseOffset) ?? 0, segment.count);
      if (segment.persistedCount >= count) continue;
      const { bytes } = segment.unpersistedBytes(count);
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
      segment.markPersisted(count, bytes);
    }
  }

  /**
   * Loads index files, trusting the checkpoint's counts as far as the files check out
   * (SegmentIndex.fromFile); files the checkpoint does not list are dropped. `segmentBytes` gives
   * each commit-log segment's length (undefined: no such segment). Returns what is wrong, one
   * line per damaged file; the caller then rebuilds every projection from the log.
   */
  async load(durable: readonly IndexCheckpoint[], segmentBytes: (base: number) => number | undefined): Promise<string[]> {
    this.segments = [];
    const problems: string[] = [];
    const expected = new Map(durable.map((i) => [i.segmentBase, i]));
    const names = new Set(await listOffsetFiles(this.dir, this.fileSystem));
    for (const { segmentBase, count } of durable) {
      const bytes = segmentBytes(segmentBase);
      // Retention removed the segment after the checkpoint; its index goes with it.
      if (bytes === undefined || count === 0) continue;
      if (!names.has(offsetFileName(segmentBase)))
        problems.push(`index ${path.join(this.dir, offsetFileName(segmentBase))} is missing (the checkpoint counts ${count} entries)`);
    }
    for (const name of names) {
      const base = Number(name);
      const file = path.join(this.dir, name);
      const bytes = segmentBytes(base);
      const entry = expected.get(base);
      if (bytes === undefined) continue;
      const data = await this.fileSystem.readFile(file);
      const loaded = SegmentIndex.fromFile(base, data, entry?.count ?? 0, entry?.crc, bytes);
      if (typeof loaded === 'string') problems.push(`index ${file}: ${loaded}`);
      else this.segments.push(loaded);
    }
    return problems;
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
