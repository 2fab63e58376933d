import { randomBytes } from 'node:crypto';

/** 2021-01-01T00:00:00Z, the epoch of the v1 message id's seconds field. */
const ID_EPOCH_MS = Date.UTC(2021, 0, 1);

/** Six bytes naming this broker process in the ids it makes (the clients put their MAC address there). */
const HOST_BYTES = randomBytes(6);
let sequence = 0;

/**
 * A message id for a message the admin API sends itself (the console's test message), in the
 * layout Apache RocketMQ 5's clients use (version 1: 1 byte version, 6 bytes host, 2 bytes
 * process id, 4 bytes seconds since 2021, 4 bytes sequence; 34 hex digits), so it looks and sorts
 * like any other id to consumers and tools.
 */
export function newAdminMessageId(nowMs = Date.now()): string {
  const bytes = Buffer.alloc(17);
  bytes.writeUInt8(1, 0);
  HOST_BYTES.copy(bytes, 1);
  bytes.writeUInt16BE(process.pid & 0xffff, 7);
  bytes.writeUInt32BE(Math.floor((nowMs - ID_EPOCH_MS) / 1000) >>> 0, 9);
  bytes.writeUInt32BE(sequence, 13);
  sequence = (sequence + 1) >>> 0;
  return bytes.toString('hex').toUpperCase();
}
