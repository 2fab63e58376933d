import { fixed, GB, MB, perSecond, SummaryRow } from '@app/testkit';

/** ASYNC_FLUSH MB/s must reach this share of the raw sequential write bandwidth. */
export const ASYNC_TARGET_RATIO = 0.4;
/** SYNC_FLUSH with many appenders must beat one appender by this factor (group commit). */
export const SYNC_TARGET_SCALING = 10;
/** A full crash-recovery rebuild must take less than this per GiB of log. */
export const RECOVERY_TARGET_SECONDS_PER_GIB = 5;

/** One raw sequential-write run: `bytes`, ms until in the page cache, ms until durable. */
export interface Throughput {
  bytes: number;
  writeMs: number;
  durableMs: number;
}

export interface AppendFigures {
  label: string;
  messages: number;
  bytes: number;
  toPageCacheMs: number;
  durableMs: number;
}

export interface CallRate {
  calls: number;
  elapsedMs: number;
}

export interface RecoveryFigures {
  logBytes: number;
  logGib: number;
  messages: number;
  cleanOpenMs: number;
  crashOpenMs: number;
  crashScannedBytes: number;
  coldCrashOpenMs?: number;
  readCrc: { bytes: number; elapsedMs: number };
}

/** Everything one run measured; a phase left out by `--only` leaves its fields unset. */
export interface Results {
  /** Medians over the runs. */
  rawWrite?: Throughput;
  /**
   * The slowest run. In a VM that hands freed memory back to its host (virtio-balloon free page
   * reporting), a write into pages the guest must fault in again can be ~10x slower than one into
   * recycled pages; the store's log mostly lands in such fresh pages.
   */
  rawWriteSlowest?: Throughput;
  rawSync?: CallRate;
  rawSyncAsync?: CallRate;
  asyncRuns: AppendFigures[];
  sync1?: CallRate;
  syncMany?: CallRate & { concurrency: number };
  recovery?: RecoveryFigures;
}

const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);
const verdict = (ok: boolean): 'PASS' | 'MISS' => (ok ? 'PASS' : 'MISS');
const row = (figure: string, value: string, target = '', ratio = '', result: SummaryRow['verdict'] = ''): SummaryRow => ({
  figure,
  value,
  target,
  ratio,
  verdict: result,
});

/** Each figure with its target, its ratio to its baseline, and PASS/MISS where it has a target. */
export function summaryRows(results: Results): SummaryRow[] {
  return [...baselineRows(results), ...asyncRows(results), ...syncRows(results), ...recoveryRows(results)];
}

function baselineRows(results: Results): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const { rawWrite, rawWriteSlowest, rawSync, rawSyncAsync } = results;
  if (rawWrite && rawWriteSlowest) {
    for (const [what, field] of [
      ['to page cache', 'writeMs'],
      ['+ fdatasync', 'durableMs'],
    ] as const) {
      const median = `${fixed(mbps(rawWrite.bytes, rawWrite[field]))} MB/s`;
      const slowest = `slowest run ${fixed(mbps(rawWriteSlowest.bytes, rawWriteSlowest[field]))} MB/s`;
      rows.push(row(`raw seq write 1 MiB, ${what}`, median, 'baseline (median)', slowest));
    }
  }
  const rate = (r: CallRate) => `${fixed(perSecond(r.calls, r.elapsedMs), 0)} /s`;
  if (rawSync) rows.push(row('raw write 1 KiB + fdatasync', rate(rawSync), 'baseline'));
  if (rawSyncAsync) rows.push(row('  same via async FileHandle', rate(rawSyncAsync), 'baseline'));
  return rows;
}

/** Page-cache figures against raw writes without fdatasync, durable ones against raw with it. */
function asyncRows(results: Results): SummaryRow[] {
  const { rawWrite, rawWriteSlowest } = results;
  const rows: SummaryRow[] = [];
  for (const run of results.asyncRuns) {
    const variants = [
      ['to page cache', run.toPageCacheMs, 'writeMs', 'raw page cache'],
      ['durable at close', run.durableMs, 'durableMs', 'raw + fdatasync'],
    ] as const;
    for (const [what, ms, rawField, rawName] of variants) {
      const value = mbps(run.bytes, ms);
      const median = rawWrite ? value / mbps(rawWrite.bytes, rawWrite[rawField]) : Number.NaN;
      const slowest = rawWriteSlowest ? value / mbps(rawWriteSlowest.bytes, rawWriteSlowest[rawField]) : Number.NaN;
      rows.push(
        row(
          `ASYNC ${run.label}, ${what}`,
          `${fixed(value)} MB/s`,
          `>= ${ASYNC_TARGET_RATIO * 100}% of ${rawName}`,
          `${fixed(median * 100)}% of median, ${fixed(slowest * 100)}% of slowest (${fixed(perSecond(run.messages, ms), 0)} msgs/s)`,
          Number.isFinite(median) ? verdict(median >= ASYNC_TARGET_RATIO) : '',
        ),
      );
    }
  }
  return rows;
}

function syncRows(results: Results): SummaryRow[] {
  const { sync1, syncMany, rawSync, rawSyncAsync } = results;
  if (!sync1 || !syncMany) return [];
  const one = perSecond(sync1.calls, sync1.elapsedMs);
  const many = perSecond(syncMany.calls, syncMany.elapsedMs);
  const raw = rawSync ? perSecond(rawSync.calls, rawSync.elapsedMs) : Number.NaN;
  const viaPool = rawSyncAsync ? perSecond(rawSyncAsync.calls, rawSyncAsync.elapsedMs) : Number.NaN;
  return [
    row('SYNC 1 appender', `${fixed(one, 0)} msgs/s`, '', `${fixed((one / raw) * 100)}% of raw, ${fixed((one / viaPool) * 100)}% of async raw`),
    row(
      `SYNC ${syncMany.concurrency} appenders`,
      `${fixed(many, 0)} msgs/s`,
      `>= ${SYNC_TARGET_SCALING}x SYNC 1`,
      `${fixed(many / one)}x SYNC 1, ${fixed(many / raw)}x raw write+fdatasync/s`,
      verdict(many / one >= SYNC_TARGET_SCALING),
    ),
  ];
}

/** The 5 s target is for 1 GiB; other sizes (`--recovery-gib`, `--quick`) scale it linearly. */
function recoveryRows(results: Results): SummaryRow[] {
  const r = results.recovery;
  if (!r) return [];
  const limitSeconds = RECOVERY_TARGET_SECONDS_PER_GIB * r.logGib;
  const floor = r.readCrc.bytes / GB / (r.readCrc.elapsedMs / 1000);
  const size = `${fixed(r.logGib, 3)} GiB`;
  const rebuild = (label: string, ms: number) => {
    const rate = r.crashScannedBytes / GB / (ms / 1000);
    return row(
      `${label}, ${size}`,
      `${fixed(ms / 1000, 2)} s`,
      `< ${fixed(limitSeconds, 2)} s (${RECOVERY_TARGET_SECONDS_PER_GIB} s/GiB)`,
      `${fixed(rate, 2)} GB/s = ${fixed((rate / floor) * 100)}% of raw read+CRC`,
      verdict(ms / 1000 < limitSeconds),
    );
  };
  const rows = [row(`clean reopen, ${size}`, `${fixed(r.cleanOpenMs / 1000, 2)} s`), rebuild('crash recovery (rebuild), warm', r.crashOpenMs)];
  if (r.coldCrashOpenMs !== undefined) rows.push(rebuild('crash recovery (rebuild), cold', r.coldCrashOpenMs));
  return rows;
}
