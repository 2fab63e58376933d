import { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';

/** Renewals start no sooner than this, so a tiny invisible duration does not flood the broker. */
const MIN_RENEW_INTERVAL_MS = 500;

/**
 * Keeps a message invisible while its handler runs longer than the invisible duration: every
 * half of `invisibleDurationMs` it asks the broker for another `invisibleDurationMs`
 * (ChangeInvisibleDuration). Without it a slow handler's message becomes visible again, another
 * consumer runs it a second time, and the slow handler's ack fails on a stale receipt handle.
 *
 * The client writes the new receipt handle into the view, so the ack that follows uses it.
 * `stop()` waits for a renewal in flight, so the ack never races it with the old handle. A failed
 * renewal is reported once and renewing stops: the message comes back after its invisible
 * duration, the at-least-once contract.
 */
export class InvisibleDurationRenewal {
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: SimpleConsumer,
    private readonly view: MessageView,
    private readonly invisibleDurationMs: number,
    private readonly onFailure: (error: unknown) => void,
  ) {
    // Half the duration leaves the other half for a slow renewal round trip on a loaded machine.
    const intervalMs = Math.max(MIN_RENEW_INTERVAL_MS, Math.floor(invisibleDurationMs / 2));
    this.timer = setInterval(() => this.renew(), intervalMs);
  }

  /** Stops renewing; resolves once no renewal is in flight any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.inFlight;
  }

  private renew(): void {
    if (this.stopped || this.inFlight) return;
    this.inFlight = this.client
      .changeInvisibleDuration(this.view, this.invisibleDurationMs)
      .catch((error: unknown) => {
        clearInterval(this.timer);
        this.onFailure(error);
      })
      .finally(() => (this.inFlight = undefined));
  }
}
