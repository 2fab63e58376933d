import { InFlightBytesLimit } from './in-flight-bytes-limit';

describe('InFlightBytesLimit', () => {
  it('admits up to the bound and refuses past it until bytes are released', () => {
    const limit = new InFlightBytesLimit(100);
    expect(limit.tryAcquire(60)).toBe(true);
    expect(limit.tryAcquire(40)).toBe(true);
    expect(limit.tryAcquire(1)).toBe(false);
    expect(limit.bytes).toBe(100);
    limit.release(60);
    expect(limit.tryAcquire(50)).toBe(true);
    expect(limit.bytes).toBe(90);
  });

  it('always admits a request when nothing else is in flight, whatever its size', () => {
    const limit = new InFlightBytesLimit(100);
    expect(limit.tryAcquire(500)).toBe(true);
    expect(limit.tryAcquire(1)).toBe(false);
    limit.release(500);
    expect(limit.bytes).toBe(0);
  });

  it('treats a release of more than was admitted, and a bound that is not positive, as programmer errors', () => {
    const limit = new InFlightBytesLimit(100);
    limit.tryAcquire(10);
    expect(() => limit.release(11)).toThrow('released 11 bytes with only 10 in flight');
    expect(() => new InFlightBytesLimit(0)).toThrow();
  });

  it("bounds one connection's share: past it that connection waits while others are still admitted", () => {
    const limit = new InFlightBytesLimit(100, 40);
    expect(limit.tryAcquire(30, 'a')).toBe(true);
    expect(limit.tryAcquire(20, 'a')).toBe(false);
    expect(limit.tryAcquire(30, 'b')).toBe(true);
    expect(limit.tryAcquire(10, 'a')).toBe(true);
    expect([limit.bytesOf('a'), limit.bytesOf('b'), limit.bytes]).toEqual([40, 30, 70]);
    limit.release(30, 'a');
    expect(limit.tryAcquire(20, 'a')).toBe(true);
    // A connection with nothing in flight is admitted whatever the size, within the total.
    expect(limit.tryAcquire(50, 'c')).toBe(false);
    limit.release(30, 'b');
    expect(limit.tryAcquire(50, 'c')).toBe(true);
    expect(() => limit.release(60, 'c')).toThrow();
  });
});
