import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MessageInput } from '../src/store/message-record';
import { AppendResult } from '../src/store/message-store';

/** Figures use decimal units: 1 MB = 10^6 bytes, 1 GB = 10^9 bytes. */
export const MB = 1e6;
export const GB = 1e9;
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** What the command line chose; `--quick` shrinks every size and duration for a smoke run. */
export interface BenchOptions {
  /** Parent of this run's temp directory (the store lives where user data would). */
  dir: string;
  quick: boolean;
  recoveryBytes: number;
  /** Messages per ASYNC variant (also bounded by `asyncMaxMs`). */
  asyncMessages: number;
  asyncMaxMs: number;
  syncDurationMs: number;
  rawWriteBytes: number;
  rawSyncDurationMs: number;
  /** Phases to run: raw, async, sync, recovery. */
  phases: Set<string>;
  /** Also measure crash recovery with a cold page cache (root only; drops the machine's caches). */
  dropCaches: boolean;
}

const USAGE = `usage: npm run bench:store -- [--quick] [--dir DIR] [--recovery-gib N] [--messages N]
                              [--only raw,async,sync,recovery] [--drop-caches]`;

export function parseOptions(argv: string[], repoRoot: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      dir: { type: 'string' },
      'recovery-gib': { type: 'string' },
      messages: { type: 'string' },
      only: { type: 'string' },
      'drop-caches': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const recoveryGib = values['recovery-gib'] !== undefined ? Number(values['recovery-gib']) : quick ? 1 / 16 : 1;
  const messages = values.messages !== undefined ? Number(values.messages) : quick ? 30_000 : 300_000;
  if (!(recoveryGib > 0) || !(messages > 0)) throw new Error(`bad numeric option\n${USAGE}`);
  return {
    dir: path.resolve(values.dir ?? path.join(repoRoot, '.bench')),
    quick,
    recoveryBytes: Math.round(recoveryGib * GIB),
    asyncMessages: messages,
    asyncMaxMs: quick ? 3_000 : 10_000,
    syncDurationMs: quick ? 1_000 : 3_000,
    rawWriteBytes: (quick ? 64 : 512) * MIB,
    rawSyncDurationMs: quick ? 1_000 : 2_000,
    phases: new Set((values.only ?? 'raw,async,sync,recovery').split(',').map((p) => p.trim())),
    dropCaches: values['drop-caches'] === true,
  };
}

/**
 * Builds the benchmark's messages: 1 KiB body, 10-character topic, one tag, one key, a
 * 32-hex-digit id, spread round-robin over the queues. Ids come from a random prefix and a
 * counter so making them costs next to nothing inside the measured loop.
 */
export class MessageFactory {
  readonly topic = 'BenchTopic';
  private readonly body: Buffer;
  private readonly idPrefix = randomBytes(8).toString('hex');
  private counter = 0;

  constructor(
    readonly bodyBytes: number,
    readonly queueCount: number,
  ) {
    this.body = randomBytes(bodyBytes);
  }

  get produced(): number {
    return this.counter;
  }

  next(): MessageInput {
    const n = this.counter++;
    return {
      topic: this.topic,
      queueId: n % this.queueCount,
      messageId: this.idPrefix + n.toString(16).padStart(16, '0'),
      bornTimestampMs: Date.now(),
      tag: 'TagA',
      keys: ['order-' + n],
      body: this.body,
    };
  }

  batch(size: number): MessageInput[] {
    const messages: MessageInput[] = new Array(size);
    for (let i = 0; i < size; i++) messages[i] = this.next();
    return messages;
  }
}

/** Bytes the records of an append occupy in the commit log; throws on anything but `ok`. */
export function appendedBytes(result: AppendResult): number {
  if (result.status !== 'ok') throw new Error(`append failed: ${JSON.stringify(result)}`);
  let bytes = 0;
  for (const record of result.records) bytes += record.size;
  return bytes;
}

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
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}
