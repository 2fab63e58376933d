import { crc32 } from 'node:zlib';

/**
 * The message-id and key index of one commit-log segment: a hash table from a 32-bit hash to
 * the records carrying it. A hash hit is a candidate only; the caller reads the record and
 * compares the id or key, so collisions cost a read, never a wrong answer.
 *
 * On disk: `index/<20-digit segment base offset>`, appended 8-byte entries:
 * ```
 * offset  size  field
 *      0     4  hash            uint32  FNV-1a of "i\0<id>" or "k\0<topic>\0<key>"
 *      4     4  relativeOffset  uint32  record offset minus the segment's base offset
 * ```
 * One index per segment, so retention drops a segment's index with the segment.
 */
export const INDEX_ENTRY_SIZE = 8;
const EMPTY = -1;

export class SegmentIndex {
  private hashes = new Uint32Array(1024);
  private offsets = new Uint32Array(1024);
  /** next[i]: the previous entry with the same hash (a chain, newest first), or EMPTY. */
  private next = new Int32Array(1024);
  /** Open-addressing slots holding the newest entry index per hash. */
  private slots = new Int32Array(2048).fill(EMPTY);
  private size = 0;
  private persisted = 0;
  /** CRC32 of the first `persisted` entries as written: the checkpoint records it, the next open checks the file against it. */
  private persistedCrc = 0;

  constructor(readonly baseOffset: number) {}

  get count(): number {
    return this.size;
  }

  get persistedCount(): number {
    return this.persisted;
  }

  get persistedChecksum(): number {
    return this.persistedCrc;
  }

  add(hash: number, relativeOffset: number): void {
    if (this.size === this.hashes.length) this.growEntries();
    if ((this.size + 1) * 2 > this.slots.length) this.growSlots();
    const index = this.size++;
    this.hashes[index] = hash;
    this.offsets[index] = relativeOffset;
    const slot = this.findSlot(hash);
    this.next[index] = this.slots[slot];
    this.slots[slot] = index;
  }

  /** Absolute offsets of records whose hash is `hash`, newest first. */
  lookup(hash: number): number[] {
    const result: number[] = [];
    for (let i = this.slots[this.findSlot(hash)]; i !== EMPTY; i = this.next[i]) {
      result.push(this.baseOffset + this.offsets[i]);
    }
    return result;
  }

  /** The entries [persistedCount, upTo) encoded; call markPersisted(upTo, bytes) once written. */
  unpersistedBytes(upTo: number = this.size): { bytes: Buffer; upTo: number } {
    const bytes = Buffer.allocUnsafe((upTo - this.persisted) * INDEX_ENTRY_SIZE);
    for (let i = this.persisted; i < upTo; i++) {
      const pos = (i - this.persisted) * INDEX_ENTRY_SIZE;
      bytes.writeUInt32BE(this.hashes[i], pos);
      bytes.writeUInt32BE(this.offsets[i], pos + 4);
    }
    return { bytes, upTo };
  }

  /** Records that unpersistedBytes(upTo)'s `bytes` were written after the persisted entries. */
  markPersisted(upTo: number, bytes: Buffer): void {
    if (upTo <= this.persisted) return;
    this.persistedCrc = crc32(bytes, this.persistedCrc);
    this.persisted = upTo;
  }

  /**
   * Rebuilds from a file's bytes, keeping `durableCount` entries (what the checkpoint vouches
   * for), or returns what is wrong with the file: not a whole number of entries, fewer entries
   * than the checkpoint counts, a checksum that differs from the recorded one, or an entry past
   * `segmentBytes`, the end of its segment's records.
   */
  static fromFile(baseOffset: number, data: Buffer, durableCount: number, expectedCrc: number | undefined, segmentBytes: number): SegmentIndex | string {
    if (data.length % INDEX_ENTRY_SIZE !== 0) return `${data.length} bytes, not a whole number of ${INDEX_ENTRY_SIZE}-byte entries`;
    const count = durableCount;
    if (data.length < count * INDEX_ENTRY_SIZE) return `holds ${data.length / INDEX_ENTRY_SIZE} entries, the checkpoint counts ${count}`;
    const crc = crc32(data.subarray(0, count * INDEX_ENTRY_SIZE));
    if (expectedCrc !== undefined && crc !== expectedCrc) return `fails its checksum (recorded ${expectedCrc}, computed ${crc})`;
    const index = new SegmentIndex(baseOffset);
    for (let i = 0; i < count; i++) {
      const relativeOffset = data.readUInt32BE(i * INDEX_ENTRY_SIZE + 4);
      if (relativeOffset >= segmentBytes) return `entry ${i} points at file offset ${relativeOffset}, past the segment's ${segmentBytes} bytes`;
      index.add(data.readUInt32BE(i * INDEX_ENTRY_SIZE), relativeOffset);
    }
    index.persisted = count;
    index.persistedCrc = crc;
    return index;
  }

  private findSlot(hash: number): number {
    const mask = this.slots.length - 1;
    let slot = (Math.imul(hash, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === EMPTY || this.hashes[entry] === hash) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private growEntries(): void {
    const capacity = this.hashes.length * 2;
    this.hashes = grow(this.hashes, new Uint32Array(capacity));
    this.offsets = grow(this.offsets, new Uint32Array(capacity));
    this.next = grow(this.next, new Int32Array(capacity));
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    // Re-link in insertion order so every chain stays newest first.
    for (let i = 0; i < this.size; i++) {
      const slot = this.findSlot(this.hashes[i]);
      this.next[i] = this.slots[slot];
      this.slots[slot] = i;
    }
  }
}

function grow<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** 32-bit FNV-1a over a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function messageIdHash(messageId: string): number {
  return fnv1a('i\u0000' + messageId);
}

export function keyHash(topic: string, key: string): number {
  return fnv1a('k\u0000' + topic + '\u0000' + key);
}
