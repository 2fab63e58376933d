import { inspect, types } from 'node:util';
import { Logger } from '@nestjs/common';
import { ListenSession, OutboxDatabase } from '../outbox-database';

/** How long the listener waits before reconnecting after its connection failed. */
const RECONNECT_DELAY_MS = 1_000;

/**
 * The relay's LISTEN session (OutboxDatabase.listen: a connection of its own, since a LISTEN
 * belongs to its session), reopened after failures. It only speeds the relay up: while it is
 * down, the relay's polling still finds every row, and after each (re)connect `onNotification`
 * fires once because notifications were missed meanwhile.
 */
export class OutboxRelayListener {
  private readonly logger = new Logger(OutboxRelayListener.name);
  private session: ListenSession | undefined;
  /** The open() whose session is current; a lost session or failed attempt of an older one is ignored. */
  private attempt: object | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly database: OutboxDatabase,
    private readonly channel: string,
    private readonly onNotification: () => void,
  ) {}

  /** Connects and listens; failures are logged and retried in the background, never thrown. */
  async open(): Promise<void> {
    if (this.closed) return;
    const attempt = {};
    this.attempt = attempt;
    try {
      const session = await this.database.listen(this.channel, {
        notified: () => this.onNotification(),
        lost: (error) => this.retryLater(attempt, error),
      });
      if (this.closed || this.attempt !== attempt) {
        await session.close();
        return;
      }
      this.session = session;
      this.onNotification();
    } catch (error) {
      this.retryLater(attempt, error ?? new Error('LISTEN failed'));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const session = this.session;
    this.session = undefined;
    this.attempt = undefined;
    await session?.close().catch(() => undefined);
  }

  private retryLater(attempt: object, error: unknown): void {
    if (this.closed || this.attempt !== attempt) return;
    this.attempt = undefined;
    this.session = undefined;
    if (error) this.logger.warn(`LISTEN connection failed, polling only until it is back: ${types.isNativeError(error) ? String(error) : inspect(error)}`);
    this.reconnectTimer = setTimeout(() => void this.open(), RECONNECT_DELAY_MS);
  }
}
