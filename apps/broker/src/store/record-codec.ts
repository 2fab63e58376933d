import { crc32 } from 'node:zlib';
import { MessageInput, RecordType, StoredMessage } from './message-record';
import { decodeProperties, encodeProperties, tagHashCode } from './message-properties';

/**
 * Commit-log record layout (all integers big-endian; int64 as two 32-bit halves, exact for
 * values below 2^53):
 *
 * ```
 * offset  size  field
 *      0     4  totalSize          uint32  whole record, including this field
 *      4     4  magic              uint32  RECORD_MAGIC (BLANK_MAGIC for segment-end filler)
 *      8     4  crc                uint32  CRC32 of bytes [12, totalSize)
 *     12     1  flags              uint8   bits 0-1 RecordType, bit 4 BATCH_MORE
 *     13     1  version            uint8   RECORD_VERSION
 *     14     2  queueId            uint16
 *     16     8  queueOffset        int64   -1 for prepared and rollback records
 *     24     8  bornTimestampMs    int64
 *     32     8  storeTimestampMs   int64
 *     40     8  preparedOffset     int64   op records: the prepared record's offset; else -1
 *     48     4  preparedSize       uint32  op records: the prepared record's size; else 0
 *     52     2  topicLength        uint16
 *     54     t  topic              utf8
 *   54+t     2  messageIdLength    uint16
 *          id  messageId          utf8
 *           4  propertiesLength   uint32
 *           p  properties         utf8, `name\x01value\x02`... (message-properties.ts)
 *           4  bodyLength         uint32
 *           b  body               bytes
 * ```
 *
 * A segment that cannot fit the next record ends with a BLANK record (totalSize = bytes left,
 * magic = BLANK_MAGIC, no CRC) when at least 8 bytes are left, or with fewer than 8 zero bytes.
 *
 * BATCH_MORE marks every record of an atomic batch but the last: recovery drops a batch whose
 * last record is missing, so a batch is recovered whole or not at all.
 */
export const RECORD_MAGIC = 0xdaa320a7;
export const BLANK_MAGIC = 0xcbd43194;
export const RECORD_VERSION = 1;
export const HEADER_SIZE = 54;
/** Smallest possible record: header plus the four length fields' remaining 10 bytes. */
export const MIN_RECORD_SIZE = HEADER_SIZE + 2 + 4 + 4;
/** A BLANK record needs its size and magic. */
export const BLANK_MIN_SIZE = 8;
export const FLAG_TYPE_MASK = 0x03;
export const FLAG_BATCH_MORE = 0x10;

/** Field positions of the layout above, for decoders outside this file. */
export const RecordField = {
  flags: 12,
  queueId: 14,
  queueOffset: 16,
  bornTimestamp: 24,
  storeTimestamp: 32,
  preparedOffset: 40,
  preparedSize: 48,
  topicLength: 52,
} as const;

const OFFSET_TOTAL_SIZE = 0;
const OFFSET_MAGIC = 4;
const OFFSET_CRC = 8;
const OFFSET_FLAGS = 12;
const OFFSET_VERSION = 13;
const OFFSET_QUEUE_ID = 14;
const OFFSET_QUEUE_OFFSET = 16;
const OFFSET_BORN_TIMESTAMP = 24;
const OFFSET_STORE_TIMESTAMP = 32;
const OFFSET_PREPARED_OFFSET = 40;
const OFFSET_PREPARED_SIZE = 48;
const OFFSET_TOPIC_LENGTH = 52;
const MAX_UINT16 = 0xffff;
const TWO_POW_32 = 0x1_0000_0000;

export function writeInt64(buf: Buffer, value: number, pos: number): void {
  buf.writeInt32BE(Math.floor(value / TWO_POW_32), pos);
  buf.writeUInt32BE(value >>> 0, pos + 4);
}

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4);
}

/** A message measured for encoding: its size, and the parts computed once for the write. */
export interface MeasuredRecord {
  input: MessageInput;
  size: number;
  type: RecordType;
  properties: string;
  propertiesBytes: number;
  messageIdBytes: number;
  topicBytes: number;
  tagHash: number;
}

/** Measures a message, or returns why it cannot be encoded. */
export function measureRecord(input: MessageInput): MeasuredRecord | { error: string } {
  const props = encodeProperties(input, input.properties);
  if ('error' in props) return props;
  const topicBytes = Buffer.byteLength(input.topic);
  const messageIdBytes = Buffer.byteLength(input.messageId);
  if (topicBytes === 0 || topicBytes > MAX_UINT16) return { error: 'topic must be 1..65535 bytes' };
  if (messageIdBytes > MAX_UINT16) return { error: 'message id must be at most 65535 bytes' };
  if (!Number.isInteger(input.queueId) || input.queueId < 0 || input.queueId > MAX_UINT16) {
    return { error: `queue id ${input.queueId} out of range` };
  }
  const propertiesBytes = Buffer.byteLength(props.text);
  return {
    input,
    size: HEADER_SIZE + topicBytes + 2 + messageIdBytes + 4 + propertiesBytes + 4 + input.body.length,
    type: input.type ?? RecordType.Normal,
    properties: props.text,
    propertiesBytes,
    messageIdBytes,
    topicBytes,
    tagHash: tagHashCode(input.tag),
  };
}

/** Writes a measured record at `pos` in `target` (which must have `record.size` bytes free). */
export function encodeRecord(record: MeasuredRecord, target: Buffer, pos: number, queueOffset: number, storeTimestampMs: number, batchMore: boolean): void {
  const input = record.input;
  target.writeUInt32BE(record.size, pos + OFFSET_TOTAL_SIZE);
  target.writeUInt32BE(RECORD_MAGIC, pos + OFFSET_MAGIC);
  target[pos + OFFSET_FLAGS] = record.type | (batchMore ? FLAG_BATCH_MORE : 0);
  target[pos + OFFSET_VERSION] = RECORD_VERSION;
  target.writeUInt16BE(input.queueId, pos + OFFSET_QUEUE_ID);
  writeInt64(target, queueOffset, pos + OFFSET_QUEUE_OFFSET);
  writeInt64(target, input.bornTimestampMs, pos + OFFSET_BORN_TIMESTAMP);
  writeInt64(target, storeTimestampMs, pos + OFFSET_STORE_TIMESTAMP);
  writeInt64(target, input.preparedOffset ?? -1, pos + OFFSET_PREPARED_OFFSET);
  target.writeUInt32BE(input.preparedSize ?? 0, pos + OFFSET_PREPARED_SIZE);
  target.writeUInt16BE(record.topicBytes, pos + OFFSET_TOPIC_LENGTH);
  let p = pos + HEADER_SIZE;
  p += target.write(input.topic, p, record.topicBytes, 'utf8');
  target.writeUInt16BE(record.messageIdBytes, p);
  p += 2;
  p += target.write(input.messageId, p, record.messageIdBytes, 'utf8');
  target.writeUInt32BE(record.propertiesBytes, p);
  p += 4;
  p += target.write(record.properties, p, record.propertiesBytes, 'utf8');
  target.writeUInt32BE(input.body.length, p);
  p += 4;
  input.body.copy(target, p);
  // CRC last, over everything after the CRC field: computed before the write (STYLE 6).
  target.writeUInt32BE(crc32(target.subarray(pos + OFFSET_FLAGS, pos + record.size)), pos + OFFSET_CRC);
}

/** Writes a BLANK filler of `size` bytes (>= BLANK_MIN_SIZE) at `pos`. */
export function encodeBlank(target: Buffer, pos: number, size: number): void {
  target.writeUInt32BE(size, pos + OFFSET_TOTAL_SIZE);
  target.writeUInt32BE(BLANK_MAGIC, pos + OFFSET_MAGIC);
}

/**
 * What is at `pos` in `buf`, whose readable data ends at `end`:
 * - `record`: a complete record whose CRC verifies (`size` bytes);
 * - `blank`: segment-end filler (`size` bytes);
 * - `end`: fewer bytes than a record header remain, or only zeros follow (a clean end of data);
 * - `incomplete`: the header claims more bytes than remain (a torn tail, if this is the tail);
 * - `corrupt`: the bytes are present but fail a check (`reason` says which).
 */
export type RecordCheck =
  | { kind: 'record'; size: number }
  | { kind: 'blank'; size: number }
  | { kind: 'end' }
  | { kind: 'incomplete'; size: number }
  | { kind: 'corrupt'; reason: string };

export function checkRecord(buf: Buffer, pos: number, end: number): RecordCheck {
  const available = end - pos;
  if (available < BLANK_MIN_SIZE) {
    return isZero(buf, pos, end) ? { kind: 'end' } : { kind: 'incomplete', size: BLANK_MIN_SIZE };
  }
  const size = buf.readUInt32BE(pos + OFFSET_TOTAL_SIZE);
  const magic = buf.readUInt32BE(pos + OFFSET_MAGIC);
  if (size === 0 && magic === 0) return { kind: 'end' };
  if (magic === BLANK_MAGIC) return size >= BLANK_MIN_SIZE ? { kind: 'blank', size } : { kind: 'corrupt', reason: 'bad blank size' };
  if (magic !== RECORD_MAGIC) return { kind: 'corrupt', reason: `bad magic 0x${magic.toString(16)}` };
  if (size < MIN_RECORD_SIZE) return { kind: 'corrupt', reason: `record size ${size} below minimum` };
  if (size > available) return { kind: 'incomplete', size };
  const stored = buf.readUInt32BE(pos + OFFSET_CRC);
  const actual = crc32(buf.subarray(pos + OFFSET_FLAGS, pos + size));
  if (stored !== actual) return { kind: 'corrupt', reason: `CRC mismatch (stored ${stored}, computed ${actual})` };
  return { kind: 'record', size };
}

const MAGIC_BYTES = Buffer.alloc(4);
MAGIC_BYTES.writeUInt32BE(RECORD_MAGIC, 0);

/**
 * The position at or after `from` of the next thing that looks like the start of a record (its
 * magic field holds RECORD_MAGIC, and its size field is in `buf`), or undefined. Unverified:
 * callers check the record it claims to start.
 */
export function nextRecordCandidate(buf: Buffer, from: number, end: number): number | undefined {
  const magicAt = buf.indexOf(MAGIC_BYTES, Math.max(from, 0) + OFFSET_MAGIC);
  return magicAt < 0 || magicAt + 4 > end ? undefined : magicAt - OFFSET_MAGIC;
}

/**
 * The position of the first record in `buf` at or after `from` whose checks pass (magic, size
 * and CRC) and that lies whole before `end`, or undefined. The log scanner uses it to resume
 * after damage. A false match needs a 32-bit magic and a CRC32 to agree by chance.
 */
export function findNextRecord(buf: Buffer, from: number, end: number): number | undefined {
  for (let pos = nextRecordCandidate(buf, from, end); pos !== undefined; pos = nextRecordCandidate(buf, pos + 1, end)) {
    if (checkRecord(buf, pos, end).kind === 'record') return pos;
  }
  return undefined;
}

function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** True if the record at `pos` is followed by more records of the same atomic batch. */
export function hasBatchMore(buf: Buffer, pos: number): boolean {
  return (buf[pos + OFFSET_FLAGS] & FLAG_BATCH_MORE) !== 0;
}

/** Decodes a record previously validated by checkRecord (or read back at a known offset). */
export function decodeRecord(buf: Buffer, pos: number, offset: number): StoredMessage {
  const size = buf.readUInt32BE(pos + OFFSET_TOTAL_SIZE);
  const topicBytes = buf.readUInt16BE(pos + OFFSET_TOPIC_LENGTH);
  let p = pos + HEADER_SIZE;
  const topic = buf.toString('utf8', p, p + topicBytes);
  p += topicBytes;
  const idBytes = buf.readUInt16BE(p);
  p += 2;
  const messageId = buf.toString('utf8', p, p + idBytes);
  p += idBytes;
  const propsBytes = buf.readUInt32BE(p);
  p += 4;
  const props = decodeProperties(buf.toString('utf8', p, p + propsBytes));
  p += propsBytes;
  const bodyBytes = buf.readUInt32BE(p);
  p += 4;
  return {
    type: buf[pos + OFFSET_FLAGS] & FLAG_TYPE_MASK,
    offset,
    size,
    topic,
    queueId: buf.readUInt16BE(pos + OFFSET_QUEUE_ID),
    queueOffset: readInt64(buf, pos + OFFSET_QUEUE_OFFSET),
    messageId,
    bornTimestampMs: readInt64(buf, pos + OFFSET_BORN_TIMESTAMP),
    storeTimestampMs: readInt64(buf, pos + OFFSET_STORE_TIMESTAMP),
    tag: props.tag,
    keys: props.keys,
    messageGroup: props.messageGroup,
    deliveryTimestampMs: props.deliveryTimestampMs,
    properties: props.properties,
    // A copy, so a returned message never pins a large read buffer.
    body: Buffer.from(buf.subarray(p, p + bodyBytes)),
    preparedOffset: readInt64(buf, pos + OFFSET_PREPARED_OFFSET),
    preparedSize: buf.readUInt32BE(pos + OFFSET_PREPARED_SIZE),
  };
}

/** Reads only the store timestamp of a record (for search by time). */
export function readStoreTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + OFFSET_STORE_TIMESTAMP);
}

export const RECORD_SIZE_FIELD_BYTES = 4;
