import { randomBytes } from 'node:crypto';
import { TailCache } from './tail-cache';

/** The log as the cache should see it: bytes by offset, with a helper to append at an offset. */
class ReferenceLog {
  readonly bytes = new Map<number, number>();
  write(cache: TailCache, offset: number, ...buffers: Buffer[]): void {
    let at = offset;
    for (const buffer of buffers) for (const byte of buffer) this.bytes.set(at++, byte);
    cache.add(offset, buffers);
  }
  slice(offset: number, length: number): Buffer {
    return Buffer.from(Array.from({ length }, (_, i) => this.bytes.get(offset + i) ?? 0));
  }
}

describe('TailCache', () => {
  it('serves bytes just written, by log offset, and nothing it does not hold', () => {
    const cache = new TailCache(64);
    const log = new ReferenceLog();
    log.write(cache, 1000, Buffer.from('hello '), Buffer.from('world'));
    expect(cache.range).toEqual({ start: 1000, end: 1011 });
    expect(cache.read(1000, 11)?.toString()).toBe('hello world');
    expect(cache.read(1006, 5)?.toString()).toBe('world');
    expect(cache.read(999, 2)).toBeUndefined();
    expect(cache.read(1006, 6)).toBeUndefined();
    expect(cache.read(1000, 0)).toBeUndefined();
  });

  it('keeps only the last capacity bytes, across the wrap of the ring', () => {
    const cache = new TailCache(100);
    const log = new ReferenceLog();
    let offset = 5_000;
    for (let i = 0; i < 40; i++) {
      const chunk = randomBytes(1 + (i % 17));
      log.write(cache, offset, chunk);
      offset += chunk.length;
    }
    expect(cache.range).toEqual({ start: offset - 100, end: offset });
    for (let at = offset - 100; at < offset; at += 7) {
      const length = Math.min(23, offset - at);
      expect(cache.read(at, length)).toEqual(log.slice(at, length));
    }
    expect(cache.read(offset - 101, 10)).toBeUndefined();
  });

  it('keeps the end of a write larger than itself', () => {
    const cache = new TailCache(16);
    const big = randomBytes(50);
    cache.add(0, [big]);
    expect(cache.range).toEqual({ start: 34, end: 50 });
    expect(cache.read(34, 16)).toEqual(big.subarray(34));
  });

  it('zero-fills the few unwritten bytes at the end of a rolled segment, and restarts on a larger jump', () => {
    const cache = new TailCache(64);
    cache.add(0, [Buffer.from('abc')]);
    cache.add(8, [Buffer.from('xyz')]);
    expect(cache.range).toEqual({ start: 0, end: 11 });
    expect(cache.read(0, 11)).toEqual(Buffer.concat([Buffer.from('abc'), Buffer.alloc(5), Buffer.from('xyz')]));
    cache.add(100, [Buffer.from('new')]);
    expect(cache.range).toEqual({ start: 100, end: 103 });
    expect(cache.read(8, 3)).toBeUndefined();
    expect(cache.read(100, 3)?.toString()).toBe('new');
  });

  it('restarts when bytes arrive behind its end (the log was cut and rewritten)', () => {
    const cache = new TailCache(64);
    cache.add(0, [Buffer.from('0123456789')]);
    cache.add(4, [Buffer.from('ab')]);
    expect(cache.range).toEqual({ start: 4, end: 6 });
    expect(cache.read(4, 2)?.toString()).toBe('ab');
    expect(cache.read(6, 2)).toBeUndefined();
  });

  it('forgets what retention deleted, and everything when cleared', () => {
    const cache = new TailCache(64);
    cache.add(0, [Buffer.from('0123456789')]);
    cache.dropBelow(4);
    expect(cache.read(2, 4)).toBeUndefined();
    expect(cache.read(4, 6)?.toString()).toBe('456789');
    cache.clear();
    expect(cache.read(4, 6)).toBeUndefined();
    cache.add(10, [Buffer.from('ab')]);
    expect(cache.read(10, 2)?.toString()).toBe('ab');
  });

  it('copies out: a later write over the same ring slot does not change a buffer already read', () => {
    const cache = new TailCache(4);
    cache.add(0, [Buffer.from('abcd')]);
    const read = cache.read(0, 4)!;
    cache.add(4, [Buffer.from('wxyz')]);
    expect(read.toString()).toBe('abcd');
    expect(cache.read(4, 4)?.toString()).toBe('wxyz');
  });

  it('is off at capacity 0', () => {
    const cache = new TailCache(0);
    cache.add(0, [Buffer.from('abc')]);
    expect(cache.read(0, 3)).toBeUndefined();
  });
});
