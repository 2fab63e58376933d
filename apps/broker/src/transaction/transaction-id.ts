import { crc32 } from 'node:zlib';

/**
 * The broker's own record id, handed to producers as the transaction id before 2026-12-05 (the
 * message id is handed out now, as Apache's broker does) and still taken by EndTransaction, so a
 * producer holding one across an upgrade can end its transaction. It names the half message's
 * record, found in O(1), also after a restart, without an index. 17 bytes, written as 34 upper-case hex characters:
 *
 * ```
 *  0        1                               9               13              17
 *  +--------+-------------------------------+---------------+---------------+
 *  | version|  commit-log offset (uint64)   | size (uint32) | CRC32 of 0..13|
 *  |  = 1   |  big-endian                   | big-endian    | big-endian    |
 *  +--------+-------------------------------+---------------+---------------+
 * ```
 *
 * The CRC tells a garbled id from an unknown one. It does not make ids unguessable: the id only
 * locates the record, and EndTransaction also checks that the record's message id and topic are
 * the ones the request names (a store wiped and refilled reuses offsets).
 */
export interface TransactionIdParts {
  /** Commit-log offset of the half message. */
  offset: number;
  /** Size in bytes of the half message's record. */
  size: number;
}

const VERSION = 1;
const OFFSET_VERSION = 0;
const OFFSET_OFFSET = 1;
const OFFSET_SIZE = 9;
const OFFSET_CRC = 13;
const ID_BYTES = 17;
const ID_PATTERN = /^[0-9A-Fa-f]{34}$/;

export function encodeTransactionId(parts: TransactionIdParts): string {
  if (!Number.isSafeInteger(parts.offset) || parts.offset < 0) throw new Error(`transaction id: bad offset ${parts.offset}`);
  if (!Number.isInteger(parts.size) || parts.size <= 0 || parts.size > 0xffff_ffff) throw new Error(`transaction id: bad size ${parts.size}`);
  const bytes = Buffer.alloc(ID_BYTES);
  bytes.writeUInt8(VERSION, OFFSET_VERSION);
  bytes.writeBigUInt64BE(BigInt(parts.offset), OFFSET_OFFSET);
  bytes.writeUInt32BE(parts.size, OFFSET_SIZE);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, OFFSET_CRC)), OFFSET_CRC);
  return bytes.toString('hex').toUpperCase();
}

/** The record an id names, or undefined if the text is not a transaction id of this broker. */
export function decodeTransactionId(id: string): TransactionIdParts | undefined {
  if (!ID_PATTERN.test(id)) return undefined;
  const bytes = Buffer.from(id, 'hex');
  if (bytes.readUInt8(OFFSET_VERSION) !== VERSION) return undefined;
  if (bytes.readUInt32BE(OFFSET_CRC) !== crc32(bytes.subarray(0, OFFSET_CRC))) return undefined;
  const offset = bytes.readBigUInt64BE(OFFSET_OFFSET);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const size = bytes.readUInt32BE(OFFSET_SIZE);
  if (size === 0) return undefined;
  return { offset: Number(offset), size };
}
