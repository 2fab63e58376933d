/**
 * What every benchmark measures with: closed loops, CPU of this process and of a child over a
 * window, percentiles, and the figures' formatting (the summary table, units, load average).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchChild } from './bench-children';

/** Figures use decimal units: 1 MB = 10^6 bytes, 1 GB = 10^9 bytes. */
export const MB = 1e6;
export const GB = 1e9;
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export interface ClosedLoopResult {
  operations: number;
  bytes: number;
  elapsedMs: number;
}

/**
 * Keeps `concurrency` operations in flight; each completion issues the next, until
 * `maxOperations`, `maxBytes` or `maxMs` is reached (checked before each issue). Elapsed time
 * ends when the last operation in flight completes.
 */
export async function runClosedLoop(
  limits: { concurrency: number; maxOperations: number; maxMs: number; maxBytes?: number },
  operation: () => Promise<number>,
): Promise<ClosedLoopResult> {
  const startedAt = performance.now();
  const deadline = startedAt + limits.maxMs;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (issued < limits.maxOperations && bytes < maxBytes && performance.now() < deadline) {
      issued++;
      // Not `bytes += await ...`: that reads `bytes` before the await and loses other workers' adds.
      const appended = await operation();
      bytes += appended;
    }
  };
  const workers: Array<Promise<void>> = [];
  for (let i = 0; i < limits.concurrency; i++) workers.push(worker());
  await Promise.all(workers);
  return { operations: issued, bytes, elapsedMs: performance.now() - startedAt };
}

/** Milliseconds an async function takes, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - startedAt };
}

/** A figure for the summary: `baseline` is what `ratio` divides by; `target` decides PASS/MISS. */
export interface SummaryRow {
  figure: string;
  value: string;
  target: string;
  ratio: string;
  verdict: 'PASS' | 'MISS' | '';
}

export function printTable(rows: SummaryRow[]): void {
  const header: SummaryRow = { figure: 'figure', value: 'value', target: 'target', ratio: 'ratio to baseline', verdict: '' };
  const all = [header, ...rows];
  const width = (key: keyof SummaryRow) => Math.max(...all.map((r) => r[key].length));
  const widths = { figure: width('figure'), value: width('value'), target: width('target'), ratio: width('ratio') };
  const line = (r: SummaryRow) =>
    [
      r.figure.padEnd(widths.figure),
      r.value.padStart(widths.value),
      r.target.padEnd(widths.target),
      r.ratio.padEnd(widths.ratio),
      r === header ? 'result' : r.verdict,
    ].join(' | ');
  console.log(line(header));
  console.log('-'.repeat(line(header).length));
  for (const row of rows) console.log(line(row));
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

export function rssMb(): string {
  const usage = process.memoryUsage();
  return `rss ${fixed(usage.rss / MB, 0)} MB (heap used ${fixed(usage.heapUsed / MB, 0)} MB, external ${fixed(usage.external / MB, 0)} MB)`;
}

/** Prints `df` for the directory (file system type and free space), best effort. */
export function describeFileSystem(dir: string): string {
  try {
    return execFileSync('df', ['-hT', dir], { encoding: 'utf8' }).trim();
  } catch (error) {
    return `df unavailable: ${(error as Error).message}`;
  }
}

/** Sum of file sizes under a directory, recursively (0 if it does not exist). */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await directoryBytes(full) : (await fs.stat(full)).size;
  }
  return total;
}

/** Load averages (1, 5, 15 min), to tell a noisy run from a quiet one. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/**
 * Measured windows on CLOCK_MONOTONIC in microseconds, the clock of V8's CPU profiles, so a
 * broker profile can be cut down to the measured loops (no startup, warm-up or pre-fill).
 */
export const measuredWindows: Array<{ startUs: number; endUs: number }> = [];

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** CPU used by the broker (or echo) child and by this process between construction and stop(). */
export class CpuMeter {
  private readonly startUs = monotonicUs();
  private readonly childStart: number;
  private readonly selfStart = process.cpuUsage();
  private readonly wallStart = performance.now();

  /** `measured: false` keeps the window out of `measuredWindows` (pre-fills are not profiled). */
  constructor(
    private readonly child: BenchChild | undefined,
    private readonly measured = true,
  ) {
    this.childStart = child ? child.cpuSeconds() : 0;
  }

  /** `server cpu X%, bench cpu Y%` of one core over the wall time since construction. */
  stop(): { serverPct: number; benchPct: number; text: string } {
    if (this.measured) measuredWindows.push({ startUs: this.startUs, endUs: monotonicUs() });
    const wallS = (performance.now() - this.wallStart) / 1000;
    const self = process.cpuUsage(this.selfStart);
    const benchPct = ((self.user + self.system) / 1e6 / wallS) * 100;
    const serverPct = this.child ? ((this.child.cpuSeconds() - this.childStart) / wallS) * 100 : Number.NaN;
    const text = `${this.child?.name ?? 'server'} cpu ${serverPct.toFixed(0)}%, bench process cpu ${benchPct.toFixed(0)}% (100% = one core)`;
    return { serverPct, benchPct, text };
  }
}

/** The p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Rejects if `promise` has not settled in `ms` (a client start that never completes must not hang the run). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `12,345` */
export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}
