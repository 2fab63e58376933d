import { CommitLog } from './commit-log';
import { DamagedRecords } from './damaged-records';
import { QueueEntry, StoredMessage } from './message-record';
import { RecordCheck, checkRecord, decodeRecord } from './record-codec';

/** Records near each other in the log are read with one pread up to this size. */
const MAX_COALESCED_READ_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of other records a coalesced read may skip between two wanted ones. A queue's entries are
 * rarely adjacent in the log (producers spread messages over queues), and copying a few kilobytes
 * more costs far less than another read through the thread pool.
 */
const MAX_COALESCED_GAP_BYTES = 64 * 1024;

/**
 * Reads records of the commit log for the file store, checking each one. A record at an offset
 * the store itself recorded (a consume-queue entry, an index entry) that fails its checks is
 * damage: reported through DamagedRecords and not served. A read at an offset from outside (a
 * client's transaction id) is only checked.
 */
export class LogReader {
  constructor(
    private readonly log: CommitLog,
    private readonly segmentSizeBytes: number,
    private readonly damage: DamagedRecords,
  ) {}

  /** The record at an offset from outside the store; undefined if none verifies there. */
  async readMessage(offset: number, size?: number): Promise<StoredMessage | undefined> {
    let length = size;
    if (length === undefined) {
      const head = await this.safeRead(offset, 4);
      if (!head || head.length < 4) return undefined;
      length = head.readUInt32BE(0);
    }
    const data = await this.safeRead(offset, length);
    if (!data || checkRecord(data, 0, data.length).kind !== 'record') return undefined;
    return decodeRecord(data, 0, offset);
  }

  async readEntries(entries: readonly QueueEntry[]): Promise<Array<StoredMessage | undefined>> {
    const messages = new Array<StoredMessage | undefined>(entries.length);
    let i = 0;
    while (i < entries.length) {
      // Coalesce entries that follow each other in the log, within one segment, into one read.
      const first = entries[i].commitLogOffset;
      const segmentEnd = this.log.segmentBaseFor(first) + this.segmentSizeBytes;
      let j = i + 1;
      let end = first + entries[i].size;
      while (j < entries.length) {
        const next = entries[j];
        const nextEnd = next.commitLogOffset + next.size;
        if (next.commitLogOffset < end || next.commitLogOffset - end > MAX_COALESCED_GAP_BYTES) break;
        if (nextEnd > segmentEnd || nextEnd - first > MAX_COALESCED_READ_BYTES) break;
        end = nextEnd;
        j++;
      }
      const data = await this.safeRead(first, end - first);
      for (let k = i; k < j; k++) {
        const entry = entries[k];
        const pos = entry.commitLogOffset - first;
        const valid = data !== undefined && pos + entry.size <= data.length && checkRecord(data, pos, pos + entry.size).kind === 'record';
        const message = valid
          ? decodeRecord(data, pos, entry.commitLogOffset)
          : await this.readKnownRecord(entry.commitLogOffset, entry.size, { queueOffset: entry.queueOffset });
        // A committed half message is served through its topic's queue as a normal message.
        if (message) message.queueOffset = entry.queueOffset;
        messages[k] = message;
      }
      i = j;
    }
    return messages;
  }

  /**
   * Reads a record at an offset the store itself recorded (a consume-queue entry, an index
   * entry), with its size when known. Unlike readMessage, whose offsets may come from a client's
   * transaction id, a record there that fails its checks is damage: reported, not served.
   */
  async readKnownRecord(offset: number, size: number | undefined, context: Record<string, unknown>): Promise<StoredMessage | undefined> {
    let length = size;
    if (length === undefined) {
      const head = await this.safeRead(offset, 4);
      // No data: retention removed the segment (or is removing it).
      if (!head) return undefined;
      length = head.length === 4 ? head.readUInt32BE(0) : 4;
    }
    const data = await this.safeRead(offset, Math.min(length, this.segmentSizeBytes));
    if (!data) return undefined;
    const check: RecordCheck = data.length === length ? checkRecord(data, 0, data.length) : { kind: 'incomplete', size: length };
    if (check.kind === 'record') return decodeRecord(data, 0, offset);
    const segment = this.log.segmentFor(offset);
    const fileOffset = offset - (segment?.baseOffset ?? 0);
    this.damage.report(
      { offset, file: segment?.file ?? this.log.dir, fileOffset, reason: describeCheck(check, length), foundBy: 'read' },
      { ...context, size: length },
    );
    return undefined;
  }

  /** A read of a segment that retention is deleting yields nothing rather than an error. */
  async safeRead(offset: number, length: number): Promise<Buffer | undefined> {
    try {
      return await this.log.read(offset, length);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EBADF') return undefined;
      throw error;
    }
  }
}

/** Why a record that should be at a known offset is not usable. */
function describeCheck(check: RecordCheck, expectedSize: number): string {
  switch (check.kind) {
    case 'corrupt':
      return check.reason;
    case 'incomplete':
      return `record of ${expectedSize} bytes cut short`;
    case 'end':
      return 'zeros where a record was expected';
    default:
      return `a ${check.kind} record where a record of ${expectedSize} bytes was expected`;
  }
}
