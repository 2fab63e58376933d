import { CommitLog } from './commit-log';
import { CommitLogSegment } from './commit-log-segment';
import { StoredMessage } from './message-record';
import { BLANK_MIN_SIZE, checkRecord, decodeRecord, findNextRecord } from './record-codec';

/** Bytes read per step; a larger record is read whole. */
const SCAN_READ_BYTES = 1024 * 1024;

/** A stretch of the log a scan passed over because its records fail their checks. */
export interface DamagedRange {
  /** Commit-log offset where the damage starts. */
  offset: number;
  file: string;
  fileOffset: number;
  reason: string;
  /** Bytes passed over: up to the next record that verifies, or to the segment's end. */
  skippedBytes: number;
}

/** One page of a log scan: records in log order, and where the next page starts. */
export interface ScanPage {
  messages: StoredMessage[];
  /** Offset to pass to the next scan; equals `endOffset` when the log was read to its end. */
  nextOffset: number;
  /** Damage passed over on this page (normally empty); the caller reports what it means to it. */
  damaged: DamagedRange[];
}

/** Where one read's records end, and what was found on the way. */
interface ReadStep {
  /** Bytes of the read consumed; the next read starts there. */
  consumed: number;
  /** The rest of the segment holds nothing more (BLANK filler, or damage that cannot be passed). */
  rolled: boolean;
}

/**
 * Reads the commit log sequentially, record by record (all types), for layers that rebuild
 * their own state from the log, such as the transaction layer's half-message table after a
 * restart. `fromOffset` must be a record boundary returned earlier (a record's offset, a
 * page's nextOffset) or any offset below the log's start.
 *
 * The scan always moves forward. A record that fails its checks is not taken for the end of
 * the data: it is reported in `damaged` and passed over, to the next record that verifies in
 * the same read or else to the end of its segment, so one damaged byte can neither stop the
 * scan early nor make it read the same range forever.
 */
export async function scanCommitLog(log: CommitLog, fromOffset: number, endOffset: number, maxRecords: number): Promise<ScanPage> {
  const page: ScanPage = { messages: [], nextOffset: 0, damaged: [] };
  let offset = Math.max(fromOffset, log.minOffset);
  while (offset < endOffset && page.messages.length < maxRecords) {
    const segment = log.segmentFor(offset);
    if (!segment) break;
    const segmentEnd = segment.baseOffset + log.segmentSizeBytes;
    const data = await log.read(offset, Math.min(SCAN_READ_BYTES, endOffset - offset));
    if (!data || data.length < BLANK_MIN_SIZE) {
      // Nothing more in this segment (fewer than 8 bytes left are never written): next segment.
      offset = segmentEnd;
      continue;
    }
    const step = await scanRead(log, segment, offset, data, maxRecords, page);
    offset = step.rolled ? segmentEnd : offset + step.consumed;
  }
  page.nextOffset = Math.min(offset, Math.max(endOffset, fromOffset));
  return page;
}

/** Decodes the records of one read at `offset` into `page`. */
async function scanRead(log: CommitLog, segment: CommitLogSegment, offset: number, data: Buffer, maxRecords: number, page: ScanPage): Promise<ReadStep> {
  const segmentEnd = segment.baseOffset + log.segmentSizeBytes;
  let pos = 0;
  while (pos < data.length && page.messages.length < maxRecords) {
    const check = checkRecord(data, pos, data.length);
    if (check.kind === 'record') {
      page.messages.push(decodeRecord(data, pos, offset + pos));
      pos += check.size;
    } else if (check.kind === 'blank') {
      return { consumed: pos, rolled: true };
    } else if (check.kind === 'end') {
      // Zeros: the filler of a segment's last few bytes, or damage where a record belongs.
      if (segmentEnd - (offset + pos) < BLANK_MIN_SIZE) return { consumed: pos, rolled: true };
      return passOver(segment, offset, data, pos, 'zeros where a record was expected', page);
    } else if (check.kind === 'incomplete' && pos > 0) {
      // Cut by the end of this read: the next read starts at this record.
      return { consumed: pos, rolled: false };
    } else if (check.kind === 'incomplete') {
      if (offset + check.size > segmentEnd) {
        return passOver(segment, offset, data, pos, `record size ${check.size} runs past the end of its segment`, page);
      }
      // A record larger than one read: read it whole.
      const whole = await log.read(offset, check.size);
      const wholeCheck = whole && whole.length === check.size ? checkRecord(whole, 0, whole.length) : undefined;
      if (wholeCheck?.kind !== 'record') {
        return passOver(segment, offset, data, pos, wholeCheck?.kind === 'corrupt' ? wholeCheck.reason : `record of ${check.size} bytes cut short`, page);
      }
      page.messages.push(decodeRecord(whole as Buffer, 0, offset));
      return { consumed: check.size, rolled: false };
    } else {
      return passOver(segment, offset, data, pos, check.reason, page);
    }
  }
  return { consumed: pos, rolled: false };
}

/** Records damage at `pos` of a read and moves to the next record that verifies, or to the segment's end. */
function passOver(segment: CommitLogSegment, offset: number, data: Buffer, pos: number, reason: string, page: ScanPage): ReadStep {
  const next = findNextRecord(data, pos + 1, data.length);
  const damageOffset = offset + pos;
  const skippedBytes = next === undefined ? segment.endOffset - damageOffset : next - pos;
  page.damaged.push({ offset: damageOffset, file: segment.file, fileOffset: damageOffset - segment.baseOffset, reason, skippedBytes });
  return next === undefined ? { consumed: pos, rolled: true } : { consumed: next, rolled: false };
}
