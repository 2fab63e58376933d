/**
 * Where the notification code reads the time. Every due-time comparison in SQL takes its "now"
 * from here rather than from `now()`, so tests move a manual clock across a 24-hour retry ladder
 * without sleeping. Latency is measured with the monotonic clock, never with this one.
 */
export interface NotificationClock {
  now(): Date;
}

export const systemClock: NotificationClock = { now: () => new Date() };

/** A clock tests set and advance by hand. */
export class ManualClock implements NotificationClock {
  private current: number;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advanceMs(ms: number): void {
    this.current += ms;
  }
}
