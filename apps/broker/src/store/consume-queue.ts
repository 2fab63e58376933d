import * as path from 'node:path';
import { QueueEntry } from './message-record';
import { makeDirectoryDurable, offsetFileName, writeFully } from './atomic-file';
import { readInt64, writeInt64 } from './record-codec';
import { StoreFileSystem, nodeFileSystem } from './store-file-system';

/**
 * A topic-queue's consume queue: fixed-width entries, entry N = message N of the queue.
 *
 * ```
 * entry (20 bytes, big-endian)
 * offset  size  field
 *      0     8  commitLogOffset  int64   where the record starts in the commit log
 *      8     4  size             uint32  the record's size
 *     12     8  tagHash          int64   Java String.hashCode of the tag, 0 without one
 * ```
 *
 * On disk: `consumequeue/<topic>/<queueId>/<20-digit first queue offset>`, each file holding
 * `entriesPerFile` entries. In memory: the retained entries in 4,096-entry chunks (20 bytes per
 * message, so "message N" is one array index), persisted lazily; the queue is a projection of
 * the commit log, and the checkpoint says how many entries of it are durable.
 */
export const ENTRY_SIZE = 20;
const CHUNK_ENTRIES = 4096;
const CHUNK_BYTES = CHUNK_ENTRIES * ENTRY_SIZE;

export class ConsumeQueue {
  /** chunks[i] covers queue offsets [chunkBase + i * CHUNK_ENTRIES, ...). */
  private chunks: Buffer[] = [];
  private chunkBase = 0;
  private min = 0;
  private max = 0;
  private persisted = 0;

  constructor(
    readonly topic: string,
    readonly queueId: number,
    private readonly dir: string,
    private readonly entriesPerFile: number,
    private readonly fileSystem: StoreFileSystem,
  ) {}

  /** First retained queue offset. */
  get minOffset(): number {
    return this.min;
  }

  /** One past the last queue offset. */
  get maxOffset(): number {
    return this.max;
  }

  /** How many entries (from offset 0) are on disk. */
  get persistedCount(): number {
    return this.persisted;
  }

  /**
   * Adds entry `queueOffset`. Re-dispatch during recovery may offer an entry the queue already
   * has (ignored); a gap means the log and the queue disagree, which is a programmer error.
   */
  put(queueOffset: number, commitLogOffset: number, size: number, tagHash: number): void {
    if (queueOffset < this.max) return;
    // An empty queue may start anywhere: after retention, a rebuild from the log begins at the
    // first retained message's queue offset.
    if (this.max === this.min && queueOffset > this.max) this.reset(queueOffset);
    if (queueOffset !== this.max) {
      throw new Error(`consume queue ${this.topic}/${this.queueId}: gap, expected ${this.max}, got ${queueOffset}`);
    }
    const index = queueOffset - this.chunkBase;
    const chunkIndex = Math.floor(index / CHUNK_ENTRIES);
    if (chunkIndex === this.chunks.length) this.chunks.push(Buffer.allocUnsafe(CHUNK_BYTES));
    const chunk = this.chunks[chunkIndex];
    const pos = (index % CHUNK_ENTRIES) * ENTRY_SIZE;
    writeInt64(chunk, commitLogOffset, pos);
    chunk.writeUInt32BE(size, pos + 8);
    writeInt64(chunk, tagHash, pos + 12);
    this.max = queueOffset + 1;
  }

  /** Entries [fromOffset, fromOffset + maxCount) that are retained. */
  getEntries(fromOffset: number, maxCount: number): QueueEntry[] {
    const start = Math.max(fromOffset, this.min);
    const end = Math.min(this.max, fromOffset + maxCount);
    const entries: QueueEntry[] = [];
    for (let q = start; q < end; q++) entries.push(this.entryAt(q));
    return entries;
  }

  /** The entry at a retained queue offset. */
  entryAt(queueOffset: number): QueueEntry {
    const index = queueOffset - this.chunkBase;
    const chunk = this.chunks[Math.floor(index / CHUNK_ENTRIES)];
    const pos = (index % CHUNK_ENTRIES) * ENTRY_SIZE;
    return {
      queueOffset,
      commitLogOffset: readInt64(chunk, pos),
      size: chunk.readUInt32BE(pos + 8),
      tagHash: readInt64(chunk, pos + 12),
    };
  }

  /** Drops entries past `count` (recovery: entries the checkpoint does not vouch for). */
  truncate(count: number): void {
    if (count >= this.max) return;
    this.max = Math.max(count, this.min);
    const keepChunks = Math.ceil((this.max - this.chunkBase) / CHUNK_ENTRIES);
    this.chunks.length = Math.max(0, keepChunks);
    this.persisted = Math.min(this.persisted, this.max);
  }

  /**
   * Retention: forgets entries whose records start before `commitLogMinOffset`. Entries are
   * in log order except commit entries, which point back at their half message; the first entry
   * at or past the log's start is where the retained range begins.
   */
  advanceMinOffset(commitLogMinOffset: number): void {
    let q = this.min;
    while (q < this.max && this.entryAt(q).commitLogOffset < commitLogMinOffset) q++;
    this.setMinOffset(q);
  }

  private setMinOffset(queueOffset: number): void {
    this.min = queueOffset;
    const dropChunks = Math.floor((this.min - this.chunkBase) / CHUNK_ENTRIES);
    if (dropChunks > 0) {
      this.chunks.splice(0, dropChunks);
      this.chunkBase += dropChunks * CHUNK_ENTRIES;
    }
  }

  /** Writes entries [persistedCount, upTo) to their files and syncs them. */
  async persist(upTo: number = this.max): Promise<void> {
    const end = Math.min(upTo, this.max);
    if (end <= this.persisted) return;
    await makeDirectoryDurable(this.dir, this.fileSystem);
    let q = Math.max(this.persisted, this.min);
    while (q < end) {
      const fileBase = q - (q % this.entriesPerFile);
      const fileEnd = Math.min(end, fileBase + this.entriesPerFile);
      const bytes = Buffer.allocUnsafe((fileEnd - q) * ENTRY_SIZE);
      for (let i = q; i < fileEnd; i++) {
        const index = i - this.chunkBase;
        const chunk = this.chunks[Math.floor(index / CHUNK_ENTRIES)];
        const pos = (index % CHUNK_ENTRIES) * ENTRY_SIZE;
        chunk.copy(bytes, (i - q) * ENTRY_SIZE, pos, pos + ENTRY_SIZE);
      }
      const handle = await this.fileSystem.open(path.join(this.dir, offsetFileName(fileBase)), 'read-write');
      try {
        await handle.truncate((q - fileBase) * ENTRY_SIZE);
        await writeFully(handle, bytes, (q - fileBase) * ENTRY_SIZE);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      // A new file's name must be durable before the checkpoint counts its entries.
      if (q === fileBase) await this.fileSystem.syncDirectory(this.dir);
      q = fileEnd;
    }
    this.persisted = end;
  }

  /**
   * Loads the queue from its files, keeping at most `durableCount` entries (what the checkpoint
   * vouches for; later entries are rebuilt from the log).
   */
  async load(durableCount: number): Promise<void> {
    const names = await listOffsetFiles(this.dir, this.fileSystem);
    if (names.length === 0) {
      this.reset(durableCount === 0 ? 0 : durableCount);
      return;
    }
    const firstBase = Number(names[0]);
    this.reset(firstBase);
    for (const name of names) {
      const fileBase = Number(name);
      if (fileBase >= durableCount) break;
      const data = await this.fileSystem.readFile(path.join(this.dir, name));
      const count = Math.min(Math.floor(data.length / ENTRY_SIZE), durableCount - fileBase);
      for (let i = 0; i < count; i++) {
        const pos = i * ENTRY_SIZE;
        this.put(fileBase + i, readInt64(data, pos), data.readUInt32BE(pos + 8), readInt64(data, pos + 12));
      }
    }
    this.persisted = this.max;
  }

  /** Starts empty at `queueOffset` (all earlier entries are gone). */
  private reset(queueOffset: number): void {
    this.chunkBase = queueOffset - (queueOffset % CHUNK_ENTRIES);
    this.chunks = [];
    this.min = queueOffset;
    this.max = queueOffset;
    this.persisted = queueOffset;
    // The partial first chunk is addressed from chunkBase; pad it so put() indexes correctly.
    if (queueOffset !== this.chunkBase) this.chunks.push(Buffer.allocUnsafe(CHUNK_BYTES));
  }

  /** Deletes files whose entries are all below minOffset. */
  async deleteFilesBelowMin(): Promise<void> {
    for (const name of await listOffsetFiles(this.dir, this.fileSystem)) {
      if (Number(name) + this.entriesPerFile <= this.min) await this.fileSystem.removeFile(path.join(this.dir, name));
    }
  }
}

/** Lists 20-digit offset-named files in a directory, ascending; [] if the directory is absent. */
export async function listOffsetFiles(dir: string, fileSystem: StoreFileSystem = nodeFileSystem): Promise<string[]> {
  try {
    return (await fileSystem.list(dir)).map((entry) => entry.name).filter((name) => /^\d{20}$/.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
