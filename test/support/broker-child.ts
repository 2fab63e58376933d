import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { ChildBuild } from './child-build';

/** One JSON log line of the broker (pino). */
export interface BrokerLogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/**
 * The broker CLI (`apps/broker/src/main.ts`, transpiled once by buildForChildren) as a child
 * process, for tests that kill it. Its stdout is parsed as JSON log lines.
 */
export class BrokerChild {
  readonly lines: BrokerLogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(build: ChildBuild, args: string[], logLevel = 'info') {
    this.child = spawn(process.execPath, [build.script('apps/broker/src/main.ts'), ...args], {
      env: { ...build.env, LOG_LEVEL: logLevel },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as BrokerLogLine);
      } catch {
        this.lines.push({ level: 30, msg: line });
      }
      this.waiters.forEach((wake) => wake());
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        resolve({ code, signal });
        this.waiters.forEach((wake) => wake());
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line matching `predicate`; rejects on exit or timeout. */
  waitForLine(predicate: (line: BrokerLogLine) => boolean, timeoutMs = 30_000): Promise<BrokerLogLine> {
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      const check = (): void => {
        const found = this.lines.find(predicate);
        if (found !== undefined) finish(() => resolve(found));
        else if (!this.running) finish(() => reject(new Error(`broker exited before the line appeared; stderr: ${this.stderr}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no matching line in ${timeoutMs} ms; stderr: ${this.stderr}`))), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit; a no-op when it already exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

/** A port nothing listens on right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
