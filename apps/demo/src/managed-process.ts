import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { waitForLineOf } from '@app/testkit';

/** How one life of a child ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  /** Name used in the timeline and log file ("broker", "pay-service"). */
  name: string;
  /** The built .js entry point. */
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** Every stdout/stderr line of every life is appended here. */
  logFile: string;
  /** Called for each line, after it was logged (the stack echoes FAULT and ready lines). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Called when a life ends that nobody asked to end (a FAULT kill, a crash). */
  onUnexpectedExit?: (exit: ProcessExit) => void;
}

/** Lines kept in memory per process, for waits and failure messages. */
const KEPT_LINES = 2_000;
/** Grace period between SIGTERM and SIGKILL when stopping. */
const STOP_GRACE_MS = 15_000;

/** Every child still running, SIGKILLed if the runner itself exits without stopping them. */
const LIVE_CHILDREN = new Set<ChildProcess>();
process.on('exit', killAllChildren);

/** SIGKILLs every child still running: the last resort when the runner is interrupted. */
export function killAllChildren(): void {
  for (const child of LIVE_CHILDREN) child.kill('SIGKILL');
}

/**
 * SIGTERMs every child still running and resolves once all have exited: the runner's stop when
 * it is interrupted in the middle of something (the services exit at once, the broker after its
 * clean shutdown).
 */
export async function terminateAllChildren(): Promise<void> {
  const exits = [...LIVE_CHILDREN].map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
  for (const child of LIVE_CHILDREN) child.kill('SIGTERM');
  await Promise.all(exits);
}

/**
 * One child process that the runner starts, kills (any signal) and starts again with the same
 * or changed environment. Output of every life goes to one log file; the newest lines stay in
 * memory so a start can wait for a "ready" line and a failure can show the tail.
 */
export class ManagedProcess {
  readonly lines: string[] = [];
  /** How many times it was started. */
  lives = 0;
  private child?: ChildProcess;
  private exitPromise: Promise<ProcessExit> = Promise.resolve({ code: 0, signal: null });
  private readonly log: WriteStream;
  private readonly waiters = new Set<() => void>();
  private expectingExit = false;

  constructor(private options: ManagedProcessOptions) {
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the current life ends. */
  get exited(): Promise<ProcessExit> {
    return this.exitPromise;
  }

  /** Starts a new life; `env` entries are merged over the original environment. */
  start(env: NodeJS.ProcessEnv = {}): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.lives++;
    this.expectingExit = false;
    this.lines.length = 0;
    const child = spawn(process.execPath, [this.options.script, ...(this.options.args ?? [])], {
      env: { ...this.options.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C reaches only the runner, which stops the children in order.
      detached: true,
    });
    this.child = child;
    LIVE_CHILDREN.add(child);
    child.on('exit', () => LIVE_CHILDREN.delete(child));
    this.log.write(`\n===== ${this.name} life ${this.lives} (pid ${child.pid}) ${new Date().toISOString()}\n`);
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream] }).on('line', (line) => this.onLine(line, stream));
    }
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.log.write(`===== ${this.name} exited (code ${code}, signal ${signal})\n`);
        if (!this.expectingExit) this.options.onUnexpectedExit?.({ code, signal });
        resolve({ code, signal });
        this.wakeWaiters();
      });
    });
  }

  /** Resolves with the first line of the current life matching `pattern`; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return waitForLineOf({
      waiters: this.waiters,
      find: () => this.lines.find((line) => pattern.test(line)),
      running: () => this.running,
      timeoutMs,
      exitedError: () => new Error(`${this.name} exited before printing ${pattern}:\n${this.tail()}`),
      timeoutError: () => new Error(`${this.name} printed no ${pattern} in ${timeoutMs} ms:\n${this.tail()}`),
    });
  }

  /** Sends `signal` and waits for the exit. SIGTERM escalates to SIGKILL after a grace period. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
    if (!this.running) return this.exitPromise;
    this.expectingExit = true;
    this.child!.kill(signal);
    const escalate = signal === 'SIGKILL' ? undefined : setTimeout(() => this.child?.kill('SIGKILL'), STOP_GRACE_MS);
    const exit = await this.exitPromise;
    clearTimeout(escalate);
    return exit;
  }

  /** The newest lines, for error messages. */
  tail(count = 30): string {
    return this.lines.slice(-count).join('\n');
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise((resolve) => this.log.end(resolve));
  }

  private onLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.log.write(`${stream === 'stderr' ? '! ' : ''}${line}\n`);
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
    this.options.onLine?.(line, stream);
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    this.waiters.forEach((wake) => wake());
  }
}
