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
});
