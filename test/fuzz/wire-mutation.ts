import fc, { Arbitrary } from 'fast-check';

/**
 * Byte-level mutations of an encoded protobuf request: plain havoc (flip, set, insert, delete,
 * truncate) and wire-aware ones that keep the framing plausible so the decoder gets further: a
 * field dropped, repeated thousands of times, re-sent with another wire type, given an extreme
 * varint, a length prefix past the end, an unknown field, or a mutation inside a nested message.
 *
 * Protobuf wire format of one field:
 *
 *     +-------------------------------+----------------------------------------+
 *     | key: varint (number << 3 | t) | payload                                |
 *     +-------------------------------+----------------------------------------+
 *     t = 0 varint | 1 fixed 8 bytes | 2 varint length + bytes | 5 fixed 4 bytes
 */

export type WireMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'drop-field'; index: number }
  | { kind: 'repeat-field'; index: number; times: number }
  | { kind: 'retype-field'; index: number; wireType: 0 | 1 | 2 | 5 }
  | { kind: 'extreme-varint'; index: number; value: bigint }
  | { kind: 'overlong-length'; index: number; claimed: number }
  | { kind: 'unknown-field'; fieldNumber: number; wireType: 0 | 1 | 2 | 5 }
  | { kind: 'nested'; index: number; inner: WireMutation };

interface WireField {
  fieldNumber: number;
  wireType: number;
  /** The payload without the key (for type 2: without the length prefix). */
  payload: Buffer;
}

/** Varints the decoders must refuse or carry exactly: past 2^53, max int64, -1 as uint64, 2^64 - 1. */
const EXTREME_VARINTS = [2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 32n, 2n ** 31n];

export function wireMutationsArbitrary(): Arbitrary<WireMutation[]> {
  return fc.array(wireMutationArbitrary(2), { minLength: 1, maxLength: 3 });
}

function wireMutationArbitrary(depth: number): Arbitrary<WireMutation> {
  const at = fc.nat({ max: 1 << 16 });
  const index = fc.nat({ max: 16 });
  const wireType = fc.constantFrom<0 | 1 | 2 | 5>(0, 1, 2, 5);
  const plain: Arbitrary<WireMutation>[] = [
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at, value: fc.constantFrom(0x00, 0xff, 0x80, 0x7f, 0x0a, 0x12) }),
    fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({ kind: fc.constant('drop-field' as const), index }),
    fc.record({ kind: fc.constant('repeat-field' as const), index, times: fc.oneof(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1000, max: 5000 })) }),
    fc.record({ kind: fc.constant('retype-field' as const), index, wireType }),
    fc.record({ kind: fc.constant('extreme-varint' as const), index, value: fc.constantFrom(...EXTREME_VARINTS) }),
    fc.record({ kind: fc.constant('overlong-length' as const), index, claimed: fc.constantFrom(1 << 20, 2 ** 31 - 1, 2 ** 32 + 5) }),
    fc.record({ kind: fc.constant('unknown-field' as const), fieldNumber: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(2 ** 29 - 1)), wireType }),
  ];
  if (depth > 0) {
    plain.push(fc.record({ kind: fc.constant('nested' as const), index, inner: fc.constant(null).chain(() => wireMutationArbitrary(depth - 1)) }));
  }
  return fc.oneof(...plain);
}

/** `bytes` with every mutation applied in order. */
export function applyWireMutations(bytes: Uint8Array, mutations: readonly WireMutation[]): Buffer {
  return mutations.reduce<Buffer>((current, mutation) => applyOne(current, mutation), Buffer.from(bytes));
}

function applyOne(bytes: Buffer, mutation: WireMutation): Buffer {
  const position = (at: number): number => (bytes.length === 0 ? 0 : at % (bytes.length + 1));
  switch (mutation.kind) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      copy[mutation.at % copy.length] ^= 1 << mutation.bit;
      return copy;
    }
    case 'set': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      copy[mutation.at % copy.length] = mutation.value;
      return copy;
    }
    case 'insert':
      return Buffer.concat([bytes.subarray(0, position(mutation.at)), mutation.bytes, bytes.subarray(position(mutation.at))]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, position(mutation.at)), bytes.subarray(position(mutation.at) + mutation.length)]);
    case 'truncate':
      return bytes.subarray(0, position(mutation.at));
    default:
      return applyToFields(bytes, mutation);
  }
}

function applyToFields(bytes: Buffer, mutation: WireMutation): Buffer {
  const fields = parseFields(bytes);
  if (mutation.kind === 'unknown-field') return Buffer.concat([bytes, encodeField(mutation.fieldNumber, mutation.wireType, randomPayload(mutation.wireType))]);
  if (!fields || fields.length === 0) return bytes;
  const index = 'index' in mutation ? mutation.index % fields.length : 0;
  const field = fields[index];
  const encoded = fields.map((f) => encodeField(f.fieldNumber, f.wireType, f.payload));
  switch (mutation.kind) {
    case 'drop-field':
      encoded.splice(index, 1);
      break;
    case 'repeat-field':
      encoded.splice(index, 1, ...new Array<Buffer>(mutation.times).fill(encoded[index]));
      break;
    case 'retype-field': {
      const wireType = mutation.wireType === field.wireType ? ((mutation.wireType + 2) % 6 === 3 ? 5 : 2) : mutation.wireType;
      encoded[index] = encodeField(field.fieldNumber, wireType, wireType === 2 ? field.payload : randomPayload(wireType));
      break;
    }
    case 'extreme-varint':
      encoded[index] = encodeField(field.fieldNumber, 0, encodeVarint(mutation.value));
      break;
    case 'overlong-length':
      encoded[index] = Buffer.concat([encodeVarint(BigInt((field.fieldNumber << 3) | 2)), encodeVarint(BigInt(mutation.claimed)), field.payload]);
      break;
    case 'nested':
      if (field.wireType !== 2) return bytes;
      encoded[index] = encodeField(field.fieldNumber, 2, applyOne(field.payload, mutation.inner));
      break;
  }
  return Buffer.concat(encoded);
}

/** The top-level fields, or undefined when `bytes` is not a well-formed protobuf message. */
function parseFields(bytes: Buffer): WireField[] | undefined {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const key = readVarint(bytes, at);
    if (!key) return undefined;
    at = key.next;
    const fieldNumber = Number(key.value >> 3n);
    const wireType = Number(key.value & 7n);
    let payload: Buffer;
    if (wireType === 0) {
      const value = readVarint(bytes, at);
      if (!value) return undefined;
      payload = bytes.subarray(at, value.next);
      at = value.next;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (at + size > bytes.length) return undefined;
      payload = bytes.subarray(at, at + size);
      at += size;
    } else if (wireType === 2) {
      const length = readVarint(bytes, at);
      if (!length || length.next + Number(length.value) > bytes.length) return undefined;
      payload = bytes.subarray(length.next, length.next + Number(length.value));
      at = length.next + Number(length.value);
    } else {
      return undefined;
    }
    fields.push({ fieldNumber, wireType, payload });
  }
  return fields;
}

function readVarint(bytes: Buffer, from: number): { value: bigint; next: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && from + i < bytes.length; i++) {
    const byte = bytes[from + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value, next: from + i + 1 };
  }
  return undefined;
}

function encodeVarint(value: bigint): Buffer {
  const out: number[] = [];
  let rest = BigInt.asUintN(64, value);
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Buffer.from(out);
}

function encodeField(fieldNumber: number, wireType: number, payload: Buffer): Buffer {
  const key = encodeVarint(BigInt(fieldNumber) * 8n + BigInt(wireType));
  if (wireType === 2) return Buffer.concat([key, encodeVarint(BigInt(payload.length)), payload]);
  return Buffer.concat([key, payload]);
}

/** A payload of the wire type, deterministic so a counterexample replays the same bytes. */
function randomPayload(wireType: number): Buffer {
  switch (wireType) {
    case 0:
      return encodeVarint(2n ** 63n - 1n);
    case 1:
      return Buffer.alloc(8, 0xff);
    case 5:
      return Buffer.alloc(4, 0xff);
    default:
      return Buffer.from([0x08, 0x96, 0x01]);
  }
}
