/**
 * A bound on the bytes of requests being processed at once (SendMessage bodies: a request holds
 * its decoded messages until the store has appended them). A request that would take the total
 * past `maxBytes` is refused, so the caller can answer the busy status and the client retries
 * after a back-off. A request is always admitted when nothing else is in flight: one request of
 * any size the server accepts can always proceed.
 */
export class InFlightBytesLimit {
  private inFlightBytes = 0;

  constructor(readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new Error(`InFlightBytesLimit needs a positive byte count, got ${maxBytes}`);
  }

  /** Bytes admitted and not yet released. */
  get bytes(): number {
    return this.inFlightBytes;
  }

  /** Admits `bytes` unless the total would pass the bound; every admission is paired with release(). */
  tryAcquire(bytes: number): boolean {
    if (this.inFlightBytes > 0 && this.inFlightBytes + bytes > this.maxBytes) return false;
    this.inFlightBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    if (bytes > this.inFlightBytes) throw new Error(`released ${bytes} bytes with only ${this.inFlightBytes} in flight`);
    this.inFlightBytes -= bytes;
  }
}
