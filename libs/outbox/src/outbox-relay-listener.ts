import { inspect, types } from 'node:util';
import { Logger } from '@nestjs/common';
import { Client, ClientConfig } from 'pg';

/** How long the listener waits before reconnecting after its connection failed. */
const RECONNECT_DELAY_MS = 1_000;

/**
 * The relay's LISTEN connection: a dedicated pg `Client` (a pooled connection could be handed to
 * someone else, and a LISTEN belongs to its session), reconnected after failures. It only speeds
 * the relay up: while it is down, the relay's polling still finds every row, and after each
 * (re)connect `onNotification` fires once because notifications were missed meanwhile.
 */
export class OutboxRelayListener {
  private readonly logger = new Logger(OutboxRelayListener.name);
  private client: Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly connection: ClientConfig,
    private readonly channel: string,
    private readonly onNotification: () => void,
  ) {}

  /** Connects and listens; failures are logged and retried in the background, never thrown. */
  async open(): Promise<void> {
    if (this.closed) return;
    const client = new Client(this.connection);
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onNotification();
    });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (error) => this.retryLater(client, error));
    client.on('end', () => this.retryLater(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replaceAll('"', '""')}"`);
      this.onNotification();
    } catch (error) {
      this.retryLater(client, error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private retryLater(client: Client, error: unknown): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    if (error) this.logger.warn(`LISTEN connection failed, polling only until it is back: ${types.isNativeError(error) ? String(error) : inspect(error)}`);
    client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => void this.open(), RECONNECT_DELAY_MS);
  }
}
