import { CommitLog } from './commit-log';
import { StoredMessage } from './message-record';
import { BLANK_MIN_SIZE, checkRecord, decodeRecord } from './record-codec';

/** Bytes read per step; a larger record is read whole. */
const SCAN_READ_BYTES = 1024 * 1024;

/** One page of a log scan: records in log order, and where the next page starts. */
export interface ScanPage {
  messages: StoredMessage[];
  /** Offset to pass to the next scan; equals `endOffset` when the log was read to its end. */
  nextOffset: number;
}

/**
 * Reads the commit log sequentially, record by record (all types), for layers that rebuild
 * their own state from the log, such as the transaction layer's half-message table after a
 * restart. `fromOffset` must be a record boundary returned earlier (a record's offset, a
 * page's nextOffset) or any offset below the log's start.
 */
export async function scanCommitLog(log: CommitLog, fromOffset: number, endOffset: number, maxRecords: number): Promise<ScanPage> {
  const messages: StoredMessage[] = [];
  let offset = Math.max(fromOffset, log.minOffset);
  while (offset < endOffset && messages.length < maxRecords) {
    const segment = log.segmentFor(offset);
    if (!segment) break;
    const segmentEnd = segment.baseOffset + log.segmentSizeBytes;
    const data = await log.read(offset, Math.min(SCAN_READ_BYTES, endOffset - offset));
    if (!data || data.length < BLANK_MIN_SIZE) {
      // Nothing more in this segment (fewer than 8 bytes left are never written): next segment.
      offset = segmentEnd;
      continue;
    }
    let pos = 0;
    let rolled = false;
    while (pos < data.length && messages.length < maxRecords) {
      const check = checkRecord(data, pos, data.length);
      if (check.kind === 'record') {
        messages.push(decodeRecord(data, pos, offset + pos));
        pos += check.size;
      } else if (check.kind === 'incomplete' && pos === 0) {
        // A record larger than one read: read it whole.
        const whole = await log.read(offset, check.size);
        if (!whole || whole.length < check.size || checkRecord(whole, 0, whole.length).kind !== 'record') {
          throw new Error(`commit log scan: unreadable record at offset ${offset}`);
        }
        messages.push(decodeRecord(whole, 0, offset));
        pos = check.size;
        break;
      } else if (check.kind === 'blank' || check.kind === 'end') {
        rolled = true;
        break;
      } else {
        // Incomplete at the end of this read: the next read starts at this record.
        break;
      }
    }
    offset = rolled ? segmentEnd : offset + pos;
  }
  return { messages, nextOffset: Math.min(offset, Math.max(endOffset, fromOffset)) };
}
