import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { QueueEntry } from './message-record';
import { makeDirectoryDurable, offsetFileName, writeFully } from './atomic-file';
import { QueueCheckpoint } from './checkpoint';
import { MIN_RECORD_SIZE, readInt64, writeInt64 } from './record-codec';
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
  /**
   * Per file (by base queue offset): CRC32 of its first `entries` entries as written, kept as the
   * file grows, so the checkpoint can record it and the next open can check the file. A file
   * whose bytes this run did not write or read from its start has no entry (unchecked).
   */
  private readonly fileChecksums = new Map<number, { crc: number; entries: number }>();
  private lastLoadedFileChecksummed = false;

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

  /** After load(): the file holding the last entry matched a checksum the checkpoint recorded. */
  get lastEntryChecksummed(): boolean {
    return this.lastLoadedFileChecksummed;
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
      const known = this.fileChecksums.get(fileBase);
      if (q === fileBase) this.fileChecksums.set(fileBase, { crc: crc32(bytes), entries: fileEnd - fileBase });
      else if (known && known.entries === q - fileBase) this.fileChecksums.set(fileBase, { crc: crc32(bytes, known.crc), entries: fileEnd - fileBase });
      else this.fileChecksums.delete(fileBase);
      // A new file's name must be durable before the checkpoint counts its entries.
      if (q === fileBase) await this.fileSystem.syncDirectory(this.dir);
      q = fileEnd;
    }
    this.persisted = end;
  }

  /**
   * Loads the queue from its files, keeping at most `durable.count` entries (what the checkpoint
   * vouches for; later entries are rebuilt from the log), and checks them on the way: every file
   * from the one holding `minOffset` to the one holding entry `count - 1` is present, whole
   * (a multiple of the entry size, a full file unless it is the last) and, where the checkpoint
   * recorded one, has its checksum; every entry points inside [0, `logEnd`). Returns what is
   * wrong (naming the file), or undefined. Reading the files is the cost of loading them anyway:
   * the checks add a CRC32 over the same bytes and a comparison per entry.
   */
  async load(durable: Omit<QueueCheckpoint, 'topic' | 'queueId'>, logEnd: number): Promise<string | undefined> {
    const count = durable.count;
    const names = await listOffsetFiles(this.dir, this.fileSystem);
    this.fileChecksums.clear();
    this.lastLoadedFileChecksummed = false;
    const retainedFrom = durable.minOffset ?? 0;
    const neededFrom = Math.min(retainedFrom - (retainedFrom % this.entriesPerFile), count);
    const firstBase = names.length > 0 ? Number(names[0]) : count;
    if (count > retainedFrom && firstBase > neededFrom) {
      this.reset(count);
      return `${this.fileAt(neededFrom)} is missing (the checkpoint counts entries ${retainedFrom} to ${count - 1})`;
    }
    this.reset(Math.min(firstBase, count));
    const expected = new Map(durable.files ?? []);
    for (const name of names) {
      const fileBase = Number(name);
      if (fileBase >= count) break;
      if (fileBase !== this.max) return `${this.fileAt(this.max)} is missing (the checkpoint counts entries up to ${count - 1})`;
      const file = path.join(this.dir, name);
      const data = await this.fileSystem.readFile(file);
      const want = Math.min(this.entriesPerFile, count - fileBase);
      if (data.length % ENTRY_SIZE !== 0) return `${file} is ${data.length} bytes, not a whole number of ${ENTRY_SIZE}-byte entries`;
      if (data.length < want * ENTRY_SIZE) return `${file} holds ${data.length / ENTRY_SIZE} entries, the checkpoint counts ${want}`;
      const crc = crc32(data.subarray(0, want * ENTRY_SIZE));
      const recorded = expected.get(fileBase);
      if (recorded !== undefined && recorded !== crc) return `${file} fails its checksum (recorded ${recorded}, computed ${crc})`;
      this.lastLoadedFileChecksummed = recorded !== undefined;
      for (let i = 0; i < want; i++) {
        const pos = i * ENTRY_SIZE;
        const offset = readInt64(data, pos);
        const size = data.readUInt32BE(pos + 8);
        // All zeros: the unwritten start of a queue that began mid-file (rebuilt after retention).
        const unused = offset === 0 && size === 0 && fileBase + i < retainedFrom;
        if (!unused && (offset < 0 || size < MIN_RECORD_SIZE || offset + size > logEnd)) {
          return `${file}: entry ${fileBase + i} points at [${offset}, ${offset + size}), outside the commit log's records [0, ${logEnd})`;
        }
        this.put(fileBase + i, offset, size, readInt64(data, pos + 12));
      }
      this.fileChecksums.set(fileBase, { crc, entries: want });
    }
    this.persisted = this.max;
    if (this.max < count) return `${this.fileAt(this.max)} is missing (the checkpoint counts entries up to ${count - 1})`;
    return undefined;
  }

  /** What the checkpoint records of this queue once entries [0, count) are persisted. */
  checkpointEntry(count: number, minOffset: number): QueueCheckpoint {
    const files: Array<[number, number]> = [];
    for (const [base, { crc, entries }] of this.fileChecksums) {
      if (base < count && entries === Math.min(this.entriesPerFile, count - base)) files.push([base, crc]);
    }
    return { topic: this.topic, queueId: this.queueId, count, minOffset: Math.min(minOffset, count), files: files.sort((a, b) => a[0] - b[0]) };
  }

  private fileAt(queueOffset: number): string {
    return path.join(this.dir, offsetFileName(queueOffset - (queueOffset % this.entriesPerFile)));
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
      if (Number(name) + this.entriesPerFile <= this.min) {
        await this.fileSystem.removeFile(path.join(this.dir, name));
        this.fileChecksums.delete(Number(name));
      }
    }
  }
}

/** Lists 20-digit offset-named files in a directory, ascending; [] if the directory is absent. */
export async function listOffsetFiles(dir: string, fileSystem: StoreFileSystem = nodeFileSystem): Promise<string[]> {
  try {
    return (await fileSystem.list(dir))
      .map((entry) => entry.name)
      .filter((name) => /^\d{20}$/.test(name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
