import { crc32 } from 'node:zlib';
import { readInt64, writeInt64 } from '../store/record-codec';

/** What a receipt handle names: one delivery of one message to a consumer group. */
export interface ReceiptHandle {
  topic: string;
  queueId: number;
  queueOffset: number;
  /** Unique per delivery: a redelivery or a change of invisible duration gets a new one. */
  deliveryId: number;
  /** When this delivery (or its last change of invisible duration) happened. */
  receivedAtMs: number;
  invisibleDurationMs: number;
}

export type DecodeReceiptHandleResult = { ok: true; handle: ReceiptHandle } | { ok: false; reason: string };

/** The reason given for a handle that does not decode (a client sent something we never issued). */
export const MALFORMED_RECEIPT_HANDLE = 'receipt handle is malformed';

/**
 * Receipt-handle layout, sent base64url-encoded (all integers big-endian; int64 as in the
 * commit log, exact below 2^53):
 *
 * ```
 * offset  size  field
 *      0     1  version               uint8   RECEIPT_HANDLE_VERSION
 *      1     2  queueId               uint16
 *      3     8  queueOffset           int64
 *     11     8  deliveryId            int64
 *     19     8  receivedAtMs          int64
 *     27     4  invisibleDurationMs   uint32
 *     31     2  topicLength           uint16
 *     33     t  topic                 utf8
 *   33+t     4  crc                   uint32  CRC32 of bytes [0, 33+t)
 * ```
 *
 * The CRC tells a garbled handle (malformed) from a well-formed one we no longer honour (stale or
 * expired). Like Apache RocketMQ's `ReceiptHandle`, the handle carries its own expiry
 * (receivedAtMs + invisibleDurationMs), so an expired handle is refused without a lookup.
 */
export const RECEIPT_HANDLE_VERSION = 1;
const OFFSET_QUEUE_ID = 1;
const OFFSET_QUEUE_OFFSET = 3;
const OFFSET_DELIVERY_ID = 11;
const OFFSET_RECEIVED_AT = 19;
const OFFSET_INVISIBLE_DURATION = 27;
const OFFSET_TOPIC_LENGTH = 31;
const FIXED_SIZE = 33;
const CRC_SIZE = 4;
const MAX_UINT16 = 0xffff;
const MAX_UINT32 = 0xffff_ffff;
/** Longest encoded handle accepted: a 64 KiB topic name is far beyond any legal one. */
const MAX_ENCODED_LENGTH = 4 * Math.ceil((FIXED_SIZE + MAX_UINT16 + CRC_SIZE) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Encodes a handle. Fields out of range are programmer errors. */
export function encodeReceiptHandle(handle: ReceiptHandle): string {
  const topic = Buffer.from(handle.topic, 'utf8');
  if (topic.length > MAX_UINT16) throw new RangeError(`topic of ${topic.length} bytes does not fit a receipt handle`);
  if (!isUint(handle.queueId, MAX_UINT16)) throw new RangeError(`queue id ${handle.queueId} does not fit a receipt handle`);
  if (!isUint(handle.invisibleDurationMs, MAX_UINT32)) throw new RangeError(`invisible duration ${handle.invisibleDurationMs} does not fit a receipt handle`);
  const bytes = Buffer.alloc(FIXED_SIZE + topic.length + CRC_SIZE);
  bytes.writeUInt8(RECEIPT_HANDLE_VERSION, 0);
  bytes.writeUInt16BE(handle.queueId, OFFSET_QUEUE_ID);
  writeInt64(bytes, handle.queueOffset, OFFSET_QUEUE_OFFSET);
  writeInt64(bytes, handle.deliveryId, OFFSET_DELIVERY_ID);
  writeInt64(bytes, handle.receivedAtMs, OFFSET_RECEIVED_AT);
  bytes.writeUInt32BE(handle.invisibleDurationMs, OFFSET_INVISIBLE_DURATION);
  bytes.writeUInt16BE(topic.length, OFFSET_TOPIC_LENGTH);
  topic.copy(bytes, FIXED_SIZE);
  const crcAt = FIXED_SIZE + topic.length;
  bytes.writeUInt32BE(crc32(bytes.subarray(0, crcAt)), crcAt);
  return bytes.toString('base64url');
}

/** Decodes and checks a handle; anything we did not issue comes back as `malformed`. */
export function decodeReceiptHandle(text: string): DecodeReceiptHandleResult {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ENCODED_LENGTH || !BASE64URL.test(text)) {
    return { ok: false, reason: MALFORMED_RECEIPT_HANDLE };
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length < FIXED_SIZE + CRC_SIZE || bytes.readUInt8(0) !== RECEIPT_HANDLE_VERSION) return { ok: false, reason: MALFORMED_RECEIPT_HANDLE };
  const topicLength = bytes.readUInt16BE(OFFSET_TOPIC_LENGTH);
  const crcAt = FIXED_SIZE + topicLength;
  if (bytes.length !== crcAt + CRC_SIZE || bytes.readUInt32BE(crcAt) !== crc32(bytes.subarray(0, crcAt))) {
    return { ok: false, reason: MALFORMED_RECEIPT_HANDLE };
  }
  const handle: ReceiptHandle = {
    topic: bytes.toString('utf8', FIXED_SIZE, crcAt),
    queueId: bytes.readUInt16BE(OFFSET_QUEUE_ID),
    queueOffset: readInt64(bytes, OFFSET_QUEUE_OFFSET),
    deliveryId: readInt64(bytes, OFFSET_DELIVERY_ID),
    receivedAtMs: readInt64(bytes, OFFSET_RECEIVED_AT),
    invisibleDurationMs: bytes.readUInt32BE(OFFSET_INVISIBLE_DURATION),
  };
  if (handle.queueOffset < 0 || handle.deliveryId < 0 || handle.receivedAtMs < 0) return { ok: false, reason: MALFORMED_RECEIPT_HANDLE };
  return { ok: true, handle };
}

/** When the handle stops being honoured: the message is visible to the group again then. */
export function receiptHandleExpiresAtMs(handle: ReceiptHandle): number {
  return handle.receivedAtMs + handle.invisibleDurationMs;
}

function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}
