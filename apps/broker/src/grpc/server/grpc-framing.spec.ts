import fc from 'fast-check';
import { deflateSync, gzipSync } from 'node:zlib';
import { encodeGrpcMessage, FrameReader, FrameTooLargeError, frameMessage, messageOf, parseGrpcTimeoutMs } from './grpc-framing';

describe('gRPC message framing', () => {
  it('frames a message behind a flag byte and its big-endian length', () => {
    expect([...frameMessage(Buffer.from('abc'))]).toEqual([0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
  });

  it('reads back any messages however the byte stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((message) => frameMessage(message)));
          const reader = new FrameReader(1024);
          const read: Buffer[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length];
            for (const frame of reader.push(stream.subarray(offset, offset + size))) read.push(Buffer.from(frame.message));
            offset += size;
          }
          expect(read.map((message) => [...message])).toEqual(messages.map((message) => [...message]));
          expect(reader.holdsPartialMessage).toBe(false);
        },
      ),
    );
  });

  it('joins a message that spans many chunks once, and knows a cut-off one', () => {
    const reader = new FrameReader(1 << 20);
    const framed = frameMessage(Buffer.alloc(100_000, 7));
    for (let offset = 0; offset < framed.length - 1; offset += 16_384) {
      expect(reader.push(framed.subarray(offset, Math.min(offset + 16_384, framed.length - 1)))).toEqual([]);
    }
    expect(reader.holdsPartialMessage).toBe(true);
    const [frame] = reader.push(framed.subarray(framed.length - 1));
    expect(frame.message.length).toBe(100_000);
    expect(reader.holdsPartialMessage).toBe(false);
  });

  it('refuses an oversized message from its header, before its body arrives', () => {
    const header = frameMessage(Buffer.alloc(2_000)).subarray(0, 5);
    expect(() => new FrameReader(1_000).push(header)).toThrow(new FrameTooLargeError(2_000, 1_000));
    // The header split across chunks.
    const split = new FrameReader(1_000);
    expect(split.push(header.subarray(0, 2))).toEqual([]);
    expect(() => split.push(header.subarray(2))).toThrow('Received message larger than max (2000 vs 1000)');
  });

  it('reads gzip and deflate messages by the call encoding, and bounds what they inflate to', () => {
    const body = Buffer.alloc(5_000, 'x');
    expect(messageOf({ compressed: true, message: gzipSync(body) }, 'gzip', 10_000)).toEqual(body);
    expect(messageOf({ compressed: true, message: deflateSync(body) }, 'deflate', 10_000)).toEqual(body);
    expect(messageOf({ compressed: true, message: gzipSync(body) }, 'gzip', 1_000)).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(messageOf({ compressed: true, message: body }, 'br', 10_000)).toMatchObject({ code: 'UNIMPLEMENTED' });
    expect(messageOf({ compressed: true, message: body }, undefined, 10_000)).toMatchObject({ code: 'INTERNAL' });
    expect(messageOf({ compressed: true, message: body }, 'gzip', 10_000)).toMatchObject({ code: 'INTERNAL' });
    expect(messageOf({ compressed: false, message: body }, 'gzip', 10_000)).toBe(body);
  });

  it('reads grpc-timeout in each unit and refuses what is not one', () => {
    expect(parseGrpcTimeoutMs('3S')).toBe(3_000);
    expect(parseGrpcTimeoutMs('2H')).toBe(7_200_000);
    expect(parseGrpcTimeoutMs('1M')).toBe(60_000);
    expect(parseGrpcTimeoutMs('250m')).toBe(250);
    expect(parseGrpcTimeoutMs('2500u')).toBe(2);
    expect(parseGrpcTimeoutMs('99999999n')).toBe(99);
    for (const bad of ['', '3', 'S', '3s', '123456789S', '-1S', '1.5S']) expect(parseGrpcTimeoutMs(bad)).toBeUndefined();
  });

  it('percent-encodes status messages as grpc-js does', () => {
    expect(encodeGrpcMessage('topic "a b" not found: 100%')).toBe(encodeURI('topic "a b" not found: 100%'));
    expect(decodeURI(encodeGrpcMessage('héllo\nwörld'))).toBe('héllo\nwörld');
    expect(encodeGrpcMessage('lone \uD800 surrogate')).toBe(encodeURI('lone \uFFFD surrogate'));
  });
});
