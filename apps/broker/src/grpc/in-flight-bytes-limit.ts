/**
 * A bound on the bytes of requests being processed at once (SendMessage bodies: a request holds
 * its decoded messages until the store has appended them), in total and per connection. A request
 * that would take the total past `maxBytes`, or its connection's share past `maxBytesPerConnection`,
 * is refused, so the caller can answer the busy status and the client retries after a back-off.
 * The per-connection share keeps one fast producer from holding the whole budget while others
 * wait. A request is always admitted when nothing else is in flight (in total, or on its
 * connection for the share): one request of any size the server accepts can always proceed.
 */
export class InFlightBytesLimit {
  private inFlightBytes = 0;
  private readonly byConnection = new Map<string, number>();

  constructor(
    readonly maxBytes: number,
    readonly maxBytesPerConnection: number = maxBytes,
  ) {
    for (const [name, value] of [
      ['bound', maxBytes],
      ['per-connection bound', maxBytesPerConnection],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`InFlightBytesLimit needs a positive ${name}, got ${value}`);
    }
  }

  /** Bytes admitted and not yet released. */
  get bytes(): number {
    return this.inFlightBytes;
  }

  /** Bytes admitted for one connection and not yet released. */
  bytesOf(connection: string): number {
    return this.byConnection.get(connection) ?? 0;
  }

  /** Admits `bytes` for `connection` unless a bound would be passed; every admission is paired with release(). */
  tryAcquire(bytes: number, connection = ''): boolean {
    if (this.inFlightBytes > 0 && this.inFlightBytes + bytes > this.maxBytes) return false;
    const held = this.bytesOf(connection);
    if (held > 0 && held + bytes > this.maxBytesPerConnection) return false;
    this.inFlightBytes += bytes;
    this.byConnection.set(connection, held + bytes);
    return true;
  }

  release(bytes: number, connection = ''): void {
    const held = this.bytesOf(connection);
    if (bytes > this.inFlightBytes || bytes > held) throw new Error(`released ${bytes} bytes with only ${Math.min(held, this.inFlightBytes)} in flight`);
    this.inFlightBytes -= bytes;
    if (held === bytes) this.byConnection.delete(connection);
    else this.byConnection.set(connection, held - bytes);
  }
}
