import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One stdout line of a child: a parsed JSON object (pino), or `{ msg }` for a line that is not JSON. */
export type JsonLine = Record<string, unknown>;

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface JsonLineChildOptions {
  /** Named in errors ("broker", "echo server"). */
  name: string;
  /** Arguments of `node` (flags, then the script and its arguments). */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep at most this many stdout lines (the oldest half is dropped beyond it); all of them when unset. */
  maxLines?: number;
  /** Keep only the last this many characters of stderr; all of it when unset. */
  maxStderrChars?: number;
  /** Also append every stdout line that is not JSON to this file (a `--trace-gc` trace, for one). */
  textLinesFile?: string;
}

/**
 * A Node child process whose stdout is read as JSON lines (a broker's pino log, the bench's echo
 * server), with waits for a line. broker-child.ts (tests that kill a broker) and
 * bench/bench-children.ts (the benchmarks' children) build on it.
 */
export class JsonLineChild {
  readonly lines: JsonLine[] = [];
  readonly exited: Promise<ChildExit>;
  protected readonly child: ChildProcess;
  private stderrText = '';
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: JsonLineChildOptions) {
    this.child = spawn(process.execPath, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const parsed = parseLine(line);
      if (parsed === undefined && options.textLinesFile) appendFileSync(options.textLinesFile, `${line}\n`);
      this.lines.push(parsed ?? { msg: line });
      if (options.maxLines !== undefined && this.lines.length > options.maxLines) this.lines.splice(0, Math.floor(options.maxLines / 2));
      this.wakeWaiters();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString();
      if (options.maxStderrChars !== undefined) this.stderrText = this.stderrText.slice(-options.maxStderrChars);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        resolve({ code, signal });
        this.wakeWaiters();
      });
    });
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first line matching `predicate` (seen already or to come); rejects if the child exits or the time runs out first. */
  waitForLine(predicate: (line: JsonLine) => boolean, timeoutMs = 30_000): Promise<JsonLine> {
    return waitForLineOf({
      waiters: this.waiters,
      find: () => this.lines.find(predicate),
      running: () => this.running,
      timeoutMs,
      exitedError: () => new Error(`${this.name} exited before the line appeared; stderr: ${this.stderr}`),
      timeoutError: () => new Error(`${this.name}: no matching line in ${timeoutMs} ms; stderr: ${this.stderr}`),
    });
  }

  /** Sends `signal` unless the child already exited. */
  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  private wakeWaiters(): void {
    this.waiters.forEach((wake) => wake());
  }
}

/**
 * The wait behind every waitForLine of a child process (this class, apps/demo's ManagedProcess):
 * `find` is tried now and each time the child calls the functions in `waiters` (a new line, its
 * exit); it resolves with what `find` returns, or rejects once the child stopped running or the
 * time ran out.
 */
export function waitForLineOf<T>(wait: {
  waiters: Set<() => void>;
  find: () => T | undefined;
  running: () => boolean;
  timeoutMs: number;
  exitedError: () => Error;
  timeoutError: () => Error;
}): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      wait.waiters.delete(check);
      settle();
    };
    const check = (): void => {
      const found = wait.find();
      if (found !== undefined) finish(() => resolve(found));
      else if (!wait.running()) finish(() => reject(wait.exitedError()));
    };
    const timer = setTimeout(() => finish(() => reject(wait.timeoutError())), wait.timeoutMs);
    wait.waiters.add(check);
    check();
  });
}

/** The line's JSON object, or undefined for a line that is not one. */
function parseLine(line: string): JsonLine | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonLine;
  } catch {
    // not JSON
  }
  return undefined;
}
