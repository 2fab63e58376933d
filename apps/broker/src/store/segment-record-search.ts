import { CommitLogSegment } from './commit-log-segment';
import { HEADER_SIZE, MIN_RECORD_SIZE, checkRecord, nextRecordCandidate } from './record-codec';

/** Recovery reads the rest of a segment in windows of this size when it looks for a record. */
const SCAN_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * The file position of the first record at or after `fromPos` that verifies, or undefined: reads
 * the rest of the file in windows (overlapping by a header, so no candidate falls between two)
 * and reads a candidate whole when the window holds only its start.
 */
export async function findRecordInFile(segment: CommitLogSegment, fromPos: number): Promise<number | undefined> {
  const fileEnd = segment.writtenBytes;
  if (fileEnd - fromPos < MIN_RECORD_SIZE) return undefined;
  const window = Buffer.allocUnsafe(Math.min(SCAN_WINDOW_BYTES, fileEnd - fromPos));
  for (let start = fromPos; ; start += window.length - HEADER_SIZE) {
    const length = await segment.read(window, 0, Math.min(window.length, fileEnd - start), start);
    for (let pos = nextRecordCandidate(window, 0, length); pos !== undefined; pos = nextRecordCandidate(window, pos + 1, length)) {
      const size = window.readUInt32BE(pos);
      if (size < MIN_RECORD_SIZE || start + pos + size > fileEnd) continue;
      if (pos + size <= length ? checkRecord(window, pos, length).kind === 'record' : await verifiesInFile(segment, start + pos, size)) return start + pos;
    }
    if (start + length >= fileEnd) return undefined;
  }
}

async function verifiesInFile(segment: CommitLogSegment, filePos: number, size: number): Promise<boolean> {
  const whole = Buffer.allocUnsafe(size);
  const read = await segment.read(whole, 0, size, filePos);
  return read === size && checkRecord(whole, 0, size).kind === 'record';
}
