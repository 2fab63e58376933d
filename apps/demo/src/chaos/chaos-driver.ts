import { setTimeout as delay } from 'node:timers/promises';
import { DemoApp } from '../demo-build';
import { DemoStack } from '../demo-stack';
import { SeededRandom } from './seeded-random';

/** One fault the driver can inject. */
type Fault =
  /** SIGKILL, then start it again on the same store or database. */
  | { kind: 'kill'; app: DemoApp }
  /** SIGSTOP for `pauseMs`, then SIGCONT: alive to the kernel, silent to everyone else. */
  | { kind: 'pause'; app: DemoApp; pauseMs: number };

export interface ChaosDriverOptions {
  stack: DemoStack;
  random: SeededRandom;
  /** Pause between two faults, drawn in [min, max]. */
  gapMs: { min: number; max: number };
  /** A short pause outlasts the check-back timeout (broker.conf transactionTimeOut). */
  shortPauseMs: { min: number; max: number };
  /** A long pause outlasts the consumers' invisible duration, so their messages are redelivered. */
  longPauseMs: { min: number; max: number };
}

/** What the driver did, by kind and app (`kill broker`, `pause pay-service`, `restart failed`). */
export type FaultCounts = Record<string, number>;

const APPS: readonly DemoApp[] = ['broker', 'pay-service', 'order-service'];

/**
 * The chaos driver: at random moments, SIGKILLs and restarts the broker, pay-service or
 * order-service, or pauses one of them (SIGSTOP/SIGCONT) past the check-back timeout or past
 * the invisible duration. One fault at a time, so every fault ends with the system whole again
 * (restarted and ready, or resumed) before the next; every step goes on the timeline.
 */
export class ChaosDriver {
  readonly counts: FaultCounts = {};
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the current wait early (stop()). */
  private readonly stopping = new AbortController();

  constructor(private readonly options: ChaosDriverOptions) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the current fault (a paused app is resumed, a killed one restarted) and stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { random, gapMs } = this.options;
    while (this.running) {
      await this.interruptibleSleep(random.between(gapMs.min, gapMs.max));
      if (!this.running) break;
      await this.inject(this.nextFault());
    }
  }

  private nextFault(): Fault {
    const { random, shortPauseMs, longPauseMs } = this.options;
    const app = APPS[random.between(0, APPS.length - 1)];
    return random.pick<Fault>([
      { value: { kind: 'kill', app }, weight: 6 },
      { value: { kind: 'pause', app, pauseMs: random.between(shortPauseMs.min, shortPauseMs.max) }, weight: 3 },
      { value: { kind: 'pause', app, pauseMs: random.between(longPauseMs.min, longPauseMs.max) }, weight: 1 },
    ]);
  }

  private async inject(fault: Fault): Promise<void> {
    const { stack } = this.options;
    const child = stack.processes[fault.app];
    this.count(`${fault.kind} ${fault.app}`);
    if (fault.kind === 'kill') {
      await stack.kill(fault.app, 'SIGKILL');
      await this.restart(fault.app);
      return;
    }
    const pid = child.pid;
    if (pid === undefined || !child.running) return;
    stack.timeline.add(fault.app, `paused (SIGSTOP) for ${(fault.pauseMs / 1000).toFixed(1)} s`);
    process.kill(pid, 'SIGSTOP');
    try {
      await this.interruptibleSleep(fault.pauseMs);
    } finally {
      if (child.running) process.kill(pid, 'SIGCONT');
      stack.timeline.add(fault.app, 'resumed (SIGCONT)');
    }
  }

  /** Starts a killed app; a start that fails is retried, since the run needs the app back. */
  private async restart(app: DemoApp): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.stack.startApp(app);
        return;
      } catch (error) {
        this.count(`restart failed ${app}`);
        this.options.stack.timeline.add(app, `restart ${attempt} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        await this.options.stack.kill(app, 'SIGKILL');
        if (attempt >= 5) throw error;
      }
    }
  }

  private count(key: string): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  /** Sleeps `ms`, or less when stop() is called; leaves no timer behind. */
  private async interruptibleSleep(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}
