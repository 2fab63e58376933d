import { gunzipSync, inflateSync } from 'node:zlib';

/**
 * gRPC's message framing over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message"):
 *
 * ```
 *  0        1                               5
 * +--------+-------------------------------+---------------------------+
 * | flag   | length (uint32, big-endian)   | message (length bytes)    |
 * +--------+-------------------------------+---------------------------+
 *   flag: 0 = as is, 1 = compressed with the call's grpc-encoding
 * ```
 *
 * A call's DATA frames are one byte stream; a message may span chunks and a chunk may hold several
 * messages.
 */
export const FRAME_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 1;

/** One message framed for the wire. */
export function frameMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, FRAME_HEADER_BYTES);
  return framed;
}

/** A message read off the wire, still compressed when `compressed`. */
export interface ReceivedFrame {
  readonly compressed: boolean;
  readonly message: Buffer;
}

/** Thrown by FrameReader when a frame announces a message over the limit: the caller answers RESOURCE_EXHAUSTED. */
export class FrameTooLargeError extends Error {
  constructor(
    readonly lengthBytes: number,
    readonly maxBytes: number,
  ) {
    // grpc-js's words, which the broker's clients and tests already know.
    super(`Received message larger than max (${lengthBytes} vs ${maxBytes})`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Cuts a call's byte stream into messages. A message is refused as soon as its header is read, so
 * an oversized one is never buffered; a message arriving in many chunks is joined once, when its
 * last byte is in.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the first pending message needs (header included), once its header is in; 0 before. */
  private neededBytes = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** True when bytes of an unfinished message are held (a request that ends here was cut off). */
  get holdsPartialMessage(): boolean {
    return this.pendingBytes > 0;
  }

  /** The messages `chunk` completes, in order. Throws FrameTooLargeError. */
  push(chunk: Buffer): ReceivedFrame[] {
    if (this.pendingBytes === 0) return this.readFrom(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.neededBytes === 0 && this.pendingBytes >= FRAME_HEADER_BYTES) this.neededBytes = this.lengthOfPending();
    if (this.neededBytes === 0 || this.pendingBytes < this.neededBytes) return [];
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.neededBytes = 0;
    return this.readFrom(joined);
  }

  private readFrom(bytes: Buffer): ReceivedFrame[] {
    const frames: ReceivedFrame[] = [];
    let offset = 0;
    while (bytes.length - offset >= FRAME_HEADER_BYTES) {
      const length = bytes.readUInt32BE(offset + 1);
      if (length > this.maxMessageBytes) throw new FrameTooLargeError(length, this.maxMessageBytes);
      const end = offset + FRAME_HEADER_BYTES + length;
      if (end > bytes.length) break;
      frames.push({ compressed: bytes[offset] === COMPRESSED_FLAG, message: bytes.subarray(offset + FRAME_HEADER_BYTES, end) });
      offset = end;
    }
    if (offset < bytes.length) {
      const rest = bytes.subarray(offset);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.neededBytes = rest.length >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + rest.readUInt32BE(1) : 0;
    }
    return frames;
  }

  private lengthOfPending(): number {
    const head = Buffer.concat(this.pending, this.pendingBytes).subarray(0, FRAME_HEADER_BYTES);
    const length = head.readUInt32BE(1);
    if (length > this.maxMessageBytes) throw new FrameTooLargeError(length, this.maxMessageBytes);
    return FRAME_HEADER_BYTES + length;
  }
}

/** Why a compressed message cannot be read: the gRPC status code's name and grpc-js's words. */
export interface DecompressionProblem {
  readonly code: 'INTERNAL' | 'UNIMPLEMENTED' | 'RESOURCE_EXHAUSTED';
  readonly details: string;
}

/**
 * The message of a frame, decompressed by the call's `grpc-encoding` (identity, gzip or deflate,
 * what grpc-js's server accepts), or the problem. The result never exceeds `maxMessageBytes`.
 */
export function messageOf(frame: ReceivedFrame, encoding: string | undefined, maxMessageBytes: number): Buffer | DecompressionProblem {
  if (!frame.compressed) return frame.message;
  if (encoding === undefined || encoding === 'identity') {
    return { code: 'INTERNAL', details: 'Received compressed message but "grpc-encoding" header was identity' };
  }
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    return { code: 'UNIMPLEMENTED', details: `Received message compressed with unsupported encoding "${encoding}"` };
  }
  try {
    const options = { maxOutputLength: maxMessageBytes };
    return encoding === 'gzip' ? gunzipSync(frame.message, options) : inflateSync(frame.message, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { code: 'RESOURCE_EXHAUSTED', details: `Received message that decompresses to a size larger than ${maxMessageBytes}` };
    }
    return { code: 'INTERNAL', details: `Error decompressing request: ${(error as Error).message}` };
  }
}

/** `grpc-timeout` units (PROTOCOL-HTTP2.md: "Timeout → TimeoutValue TimeoutUnit") in milliseconds. */
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
const TIMEOUT_PATTERN = /^(\d{1,8})([HMSmun])$/;

/** Milliseconds of a `grpc-timeout` header value, or undefined when it is not one. */
export function parseGrpcTimeoutMs(value: string): number | undefined {
  const match = TIMEOUT_PATTERN.exec(value);
  return match ? Math.floor(Number(match[1]) * TIMEOUT_UNIT_MS[match[2]]) : undefined;
}

/** A status message as `grpc-message` carries it: percent-encoded, as grpc-js encodes it (encodeURI) and its clients decode it. */
export function encodeGrpcMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    // A lone surrogate cannot be encoded; the message is advisory, the status code is not.
    return encodeURI(details.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
}
