/** Why a wait ended. */
export type WaitOutcome = 'woken' | 'timeout' | 'aborted' | 'closed';

/**
 * One long-polling receive or pull. It is armed (registered for its topic) before the caller
 * looks for messages the last time, so a message dispatched between that look and the wait is
 * not missed: the notification marks the waiter, and the wait returns at once.
 */
export class LongPollWaiter {
  private signalled = false;
  private resolveWait: ((outcome: WaitOutcome) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private abortSignal: AbortSignal | undefined;

  constructor(readonly topic: string) {}

  /** Clears an earlier notification; call before each look for messages. */
  rearm(): void {
    this.signalled = false;
  }

  /** Waits up to `timeoutMs` for a notification, an abort, or the broker closing. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.signalled) return Promise.resolve('woken');
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise<WaitOutcome>((resolve) => {
      this.resolveWait = resolve;
      this.timer = setTimeout(() => this.settle('timeout'), Math.max(1, Math.ceil(timeoutMs)));
      if (signal) {
        this.abortSignal = signal;
        signal.addEventListener('abort', this.onAbort, { once: true });
      }
    });
  }

  /** Wakes the waiter (or marks it, if it is between waits). */
  notify(): void {
    this.signalled = true;
    this.settle('woken');
  }

  close(): void {
    this.signalled = true;
    this.settle('closed');
  }

  private readonly onAbort = (): void => this.settle('aborted');

  private settle(outcome: WaitOutcome): void {
    const resolve = this.resolveWait;
    if (!resolve) return;
    this.resolveWait = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abortSignal?.removeEventListener('abort', this.onAbort);
    this.abortSignal = undefined;
    resolve(outcome);
  }
}

/**
 * The bounded set of long-polling waiters, by topic. The store's dispatch listener calls
 * `notify(topic)` for every message that becomes consumable, and the delivery engine calls it
 * when a message becomes visible again early (change of invisible duration to 0, a FIFO message
 * group unblocked, an offset reset). Expiry of invisible time needs no notification: a waiter
 * never sleeps past the moment the next in-flight message of its queues becomes visible.
 */
export class LongPollWaiters {
  private readonly byTopic = new Map<string, Set<LongPollWaiter>>();
  private count = 0;
  private closed = false;

  constructor(private readonly maxWaiters: number) {}

  get size(): number {
    return this.count;
  }

  /** Registers a waiter for `topic`; undefined when the bound is reached or the engine is closing. */
  arm(topic: string): LongPollWaiter | undefined {
    if (this.closed || this.count >= this.maxWaiters) return undefined;
    const waiter = new LongPollWaiter(topic);
    let waiters = this.byTopic.get(topic);
    if (!waiters) this.byTopic.set(topic, (waiters = new Set()));
    waiters.add(waiter);
    this.count++;
    return waiter;
  }

  disarm(waiter: LongPollWaiter): void {
    const waiters = this.byTopic.get(waiter.topic);
    if (!waiters?.delete(waiter)) return;
    this.count--;
    if (waiters.size === 0) this.byTopic.delete(waiter.topic);
  }

  /** Wakes every waiter of the topic (each then looks again; one of them may find nothing). */
  notify(topic: string): void {
    const waiters = this.byTopic.get(topic);
    if (!waiters) return;
    for (const waiter of waiters) waiter.notify();
  }

  /** Ends every wait with 'closed' and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const waiters of this.byTopic.values()) for (const waiter of waiters) waiter.close();
  }
}
