/**
 * Store benchmark: `npm run bench:store -- [--quick] [--dir DIR] [--recovery-gib N] [--messages N]
 *   [--only raw,async,sync,recovery] [--drop-caches]`.
 *
 * Prints raw disk baselines and the file store's append throughput (ASYNC_FLUSH, SYNC_FLUSH) and
 * recovery time, all measured in one run on this machine, then a summary of each figure against
 * its target. A benchmark, not a test: it fails only if the store returns an error.
 */
import { promises as fs, rmSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { FileMessageStore } from '../src/store/file-message-store';
import { FlushDiskType } from '../src/store/store-options';
import { BenchOptions, MessageFactory, appendedBytes, parseOptions } from './bench-utils';
import { dropPageCache, measureReadAndCrc, measureSequentialWrites, measureWriteFdatasync, measureWriteFdatasyncAsync } from './disk-baseline';
import { AppendFigures, CallRate, RecoveryFigures, Results, summaryRows } from './store-bench-summary';
import { describeFileSystem, fixed, GB, loadAverage, MB, MIB, perSecond, printTable, rssMb, runClosedLoop, timed } from '@app/testkit';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const BODY_BYTES = 1024;
const QUEUE_COUNT = 8;
const RAW_WRITE_REPEATS = 3;
const ASYNC_CONCURRENCY = 256;
const BATCH_SIZE = 32;
/** Batch appends in flight: 8 x 32 keeps the same 256 messages in flight as the single variant. */
const BATCH_CONCURRENCY = ASYNC_CONCURRENCY / BATCH_SIZE;
const SYNC_CONCURRENCY = 64;
/** Batch appends in flight while loading the recovery log: fast, not measured against a target. */
const LOAD_CONCURRENCY = 32;

const logger = pino({ name: 'store-bench', level: 'warn' });

async function openStore(dir: string, flushDiskType: FlushDiskType): Promise<FileMessageStore> {
  const store = new FileMessageStore({ dir, flushDiskType }, logger);
  await store.open();
  return store;
}

async function runRaw(runDir: string, options: BenchOptions, results: Results): Promise<void> {
  console.log('\n== 1. Raw baselines (same file system) ==');
  runRawSequentialWrites(runDir, options, results);
  const sync = measureWriteFdatasync(runDir, BODY_BYTES, options.rawSyncDurationMs);
  results.rawSync = sync;
  console.log(
    `(b) write(1 KiB) + fdatasync, synchronous calls: ${fixed(perSecond(sync.calls, sync.elapsedMs), 0)} calls/s ` +
      `(${sync.calls} calls in ${fixed(sync.elapsedMs, 0)} ms, ${fixed((sync.elapsedMs * 1000) / sync.calls, 0)} us each)`,
  );
  const viaPool = await measureWriteFdatasyncAsync(runDir, BODY_BYTES, options.rawSyncDurationMs);
  results.rawSyncAsync = viaPool;
  console.log(
    `    the same through Node's async FileHandle (libuv thread pool): ${fixed(perSecond(viaPool.calls, viaPool.elapsedMs), 0)} calls/s ` +
      `(${fixed((viaPool.elapsedMs * 1000) / viaPool.calls, 0)} us each)`,
  );
}

/** Several runs; the median of each column is the baseline, the slowest run is shown beside it. */
function runRawSequentialWrites(runDir: string, options: BenchOptions, results: Results): void {
  const runs = measureSequentialWrites(runDir, options.rawWriteBytes, RAW_WRITE_REPEATS);
  const rate = (bytes: number, ms: number) => fixed(bytes / MB / (ms / 1000));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const bytes = runs[0].bytes;
  const writes = runs.map((r) => r.writeMs);
  const durables = runs.map((r) => r.durableMs);
  const med = { bytes, writeMs: median(writes), durableMs: median(durables) };
  const slow = { bytes, writeMs: Math.max(...writes), durableMs: Math.max(...durables) };
  results.rawWrite = med;
  results.rawWriteSlowest = slow;
  console.log(`(a) sequential write, ${bytes / MIB} MiB in 1 MiB synchronous writes, then one fdatasync; ${RAW_WRITE_REPEATS} runs:`);
  for (const run of runs) {
    console.log(
      `    ${rate(bytes, run.writeMs)} MB/s to page cache (${fixed(run.writeMs, 0)} ms), ` +
        `${rate(bytes, run.durableMs)} MB/s including the fdatasync (${fixed(run.durableMs, 0)} ms)`,
    );
  }
  console.log(`    median: ${rate(bytes, med.writeMs)} MB/s to page cache, ${rate(bytes, med.durableMs)} MB/s durable`);
  console.log(`    slowest: ${rate(bytes, slow.writeMs)} MB/s to page cache, ${rate(bytes, slow.durableMs)} MB/s durable`);
}

/** One ASYNC_FLUSH variant: a fresh store, a closed loop, then close() (which flushes). */
async function measureAsync(dir: string, options: BenchOptions, batchSize: number, concurrency: number): Promise<AppendFigures> {
  const label = `x${batchSize} c=${concurrency}`;
  const store = await openStore(dir, 'ASYNC_FLUSH');
  const messages = new MessageFactory(BODY_BYTES, QUEUE_COUNT);
  const startedAt = performance.now();
  const loop = await runClosedLoop(
    { concurrency, maxOperations: Math.ceil(options.asyncMessages / batchSize), maxMs: options.asyncMaxMs },
    batchSize === 1 ? async () => appendedBytes(await store.append(messages.next())) : async () => appendedBytes(await store.append(messages.batch(batchSize))),
  );
  await store.close();
  const durableMs = performance.now() - startedAt;
  await fs.rm(dir, { recursive: true, force: true });
  return { label, messages: loop.operations * batchSize, bytes: loop.bytes, toPageCacheMs: loop.elapsedMs, durableMs };
}

function printAppend(label: string, figures: AppendFigures): void {
  const line = (what: string, ms: number) =>
    `   ${what}: ${fixed(perSecond(figures.messages, ms), 0)} msgs/s, ${fixed(figures.bytes / MB / (ms / 1000))} MB/s (${fixed(ms, 0)} ms)`;
  console.log(`${label}: ${figures.messages} messages, ${fixed(figures.bytes / MB)} MB of log`);
  console.log(line('to page cache  ', figures.toPageCacheMs));
  console.log(line('durable at close', figures.durableMs));
}

async function runAsync(runDir: string, options: BenchOptions, results: Results): Promise<void> {
  console.log(`\n== 2. ASYNC_FLUSH append throughput (closed loop, <= ${options.asyncMessages} messages or ${options.asyncMaxMs / 1000} s) ==`);
  const single = await measureAsync(path.join(runDir, 'async-single'), options, 1, ASYNC_CONCURRENCY);
  printAppend(`single messages, ${ASYNC_CONCURRENCY} appends in flight`, single);
  const batch = await measureAsync(path.join(runDir, 'async-batch'), options, BATCH_SIZE, BATCH_CONCURRENCY);
  printAppend(`batches of ${BATCH_SIZE}, ${BATCH_CONCURRENCY} batch appends in flight`, batch);
  results.asyncRuns.push(single, batch);
}

/** Appends one message per call from `concurrency` closed-loop appenders; `calls` = messages. */
async function measureSync(dir: string, durationMs: number, concurrency: number): Promise<CallRate> {
  const store = await openStore(dir, 'SYNC_FLUSH');
  const messages = new MessageFactory(BODY_BYTES, QUEUE_COUNT);
  const loop = await runClosedLoop({ concurrency, maxOperations: Number.POSITIVE_INFINITY, maxMs: durationMs }, async () =>
    appendedBytes(await store.append(messages.next())),
  );
  await store.close();
  await fs.rm(dir, { recursive: true, force: true });
  return { calls: loop.operations, elapsedMs: loop.elapsedMs };
}

async function runSync(runDir: string, options: BenchOptions, results: Results): Promise<void> {
  console.log(`\n== 3. SYNC_FLUSH append throughput (closed loop, ${options.syncDurationMs / 1000} s each) ==`);
  const one = await measureSync(path.join(runDir, 'sync-1'), options.syncDurationMs, 1);
  results.sync1 = one;
  console.log(`1 appender:   ${fixed(perSecond(one.calls, one.elapsedMs), 0)} msgs/s (${one.calls} in ${fixed(one.elapsedMs, 0)} ms)`);
  const many = await measureSync(path.join(runDir, 'sync-many'), options.syncDurationMs, SYNC_CONCURRENCY);
  results.syncMany = { ...many, concurrency: SYNC_CONCURRENCY };
  const ratio = perSecond(many.calls, many.elapsedMs) / perSecond(one.calls, one.elapsedMs);
  console.log(
    `${SYNC_CONCURRENCY} appenders: ${fixed(perSecond(many.calls, many.elapsedMs), 0)} msgs/s ` +
      `(${many.calls} in ${fixed(many.elapsedMs, 0)} ms); ${SYNC_CONCURRENCY}/1 = ${fixed(ratio)}x`,
  );
}

/** Deletes everything but the commit log, as a crash before any checkpoint would leave it. */
async function removeProjections(dir: string): Promise<void> {
  for (const name of ['checkpoint', 'clean-shutdown', 'consumequeue', 'index']) {
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/** Opens the store at `dir`, checks the recovery mode and rebuilt queue contents, closes it. */
async function timedOpen(dir: string, expectMode: string, expectMessages: number, label: string): Promise<{ ms: number; scannedBytes: number }> {
  const store = new FileMessageStore({ dir, flushDiskType: 'ASYNC_FLUSH' }, logger);
  const { value: report, ms } = await timed(() => store.open());
  let queued = 0;
  for (const [topic, queueId] of store.listQueues()) {
    const bounds = store.getQueueBounds(topic, queueId);
    queued += bounds.maxOffset - bounds.minOffset;
  }
  if (report.mode !== expectMode || queued !== expectMessages) {
    throw new Error(`${label}: expected mode ${expectMode} with ${expectMessages} queued, got ${report.mode} with ${queued}`);
  }
  const rate = report.scannedBytes > 0 ? `, ${fixed(report.scannedBytes / GB / (ms / 1000), 2)} GB/s` : '';
  console.log(
    `${label}: open() ${fixed(ms / 1000, 2)} s${rate} (report: mode ${report.mode}, scanned ${fixed(report.scannedBytes / MB)} MB, ` +
      `redispatched ${report.redispatchedRecords}, recovery ${report.durationMs} ms of it, truncated ${report.truncatedBytes} B)`,
  );
  if (report.scannedBytes > 0) console.log(`   RSS after recovery: ${rssMb()}`);
  await store.close();
  return { ms, scannedBytes: report.scannedBytes };
}

async function buildRecoveryLog(dir: string, options: BenchOptions): Promise<{ messages: number; logBytes: number }> {
  const store = await openStore(dir, 'ASYNC_FLUSH');
  const messages = new MessageFactory(BODY_BYTES, QUEUE_COUNT);
  const loop = await runClosedLoop(
    { concurrency: LOAD_CONCURRENCY, maxOperations: Number.POSITIVE_INFINITY, maxMs: 30 * 60_000, maxBytes: options.recoveryBytes },
    async () => appendedBytes(await store.append(messages.batch(BATCH_SIZE))),
  );
  console.log(
    `loaded ${loop.operations * BATCH_SIZE} messages, ${fixed(loop.bytes / MB)} MB in ${fixed(loop.elapsedMs / 1000, 2)} s ` +
      `(${fixed(perSecond(loop.operations * BATCH_SIZE, loop.elapsedMs), 0)} msgs/s, ${fixed(loop.bytes / MB / (loop.elapsedMs / 1000))} MB/s)`,
  );
  console.log(`   RSS after load: ${rssMb()}`);
  const closing = await timed(() => store.close());
  console.log(`   close(): ${fixed(closing.ms, 0)} ms`);
  return { messages: loop.operations * BATCH_SIZE, logBytes: loop.bytes };
}

async function runRecovery(runDir: string, options: BenchOptions, results: Results): Promise<void> {
  const gib = options.recoveryBytes / (1024 * 1024 * 1024);
  console.log(`\n== 4. Recovery of a ${fixed(gib, 3)} GiB log ==`);
  const dir = path.join(runDir, 'recovery');
  const { messages, logBytes } = await buildRecoveryLog(dir, options);
  const clean = await timedOpen(dir, 'clean-shutdown', messages, '(a) clean reopen');
  await removeProjections(dir);
  const crash = await timedOpen(dir, 'crash', messages, '(b) crash, full rebuild (warm page cache)');
  const readCrc = measureReadAndCrc(path.join(dir, 'commitlog'), BODY_BYTES + 100);
  console.log(
    `   baseline: read + CRC32 per ~1.1 KiB of the same log: ${fixed(readCrc.bytes / GB / (readCrc.elapsedMs / 1000), 2)} GB/s ` +
      `(${fixed(readCrc.elapsedMs, 0)} ms)`,
  );
  const figures: RecoveryFigures = {
    logBytes,
    logGib: gib,
    messages,
    cleanOpenMs: clean.ms,
    crashOpenMs: crash.ms,
    crashScannedBytes: crash.scannedBytes,
    readCrc,
  };
  if (options.dropCaches) {
    await removeProjections(dir);
    if (dropPageCache()) figures.coldCrashOpenMs = (await timedOpen(dir, 'crash', messages, '(c) crash, full rebuild (cold page cache)')).ms;
    else console.log('(c) cold page cache: could not write /proc/sys/vm/drop_caches (needs root on Linux); skipped');
  }
  results.recovery = figures;
  await fs.rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), REPO_ROOT);
  await fs.mkdir(options.dir, { recursive: true });
  const runDir = await fs.mkdtemp(path.join(options.dir, 'store-bench-'));
  const cleanup = () => rmSync(runDir, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  console.log(`store benchmark${options.quick ? ' (quick)' : ''}: node ${process.version}, load average ${loadAverage()}`);
  console.log(`run directory: ${runDir}\n${describeFileSystem(runDir)}`);
  console.log(`messages: ${BODY_BYTES} B body, topic "BenchTopic", one tag, one key, 32-hex id, ${QUEUE_COUNT} queues; 1 MB = 10^6 B`);
  const results: Results = { asyncRuns: [] };
  try {
    if (options.phases.has('raw')) await runRaw(runDir, options, results);
    if (options.phases.has('async')) await runAsync(runDir, options, results);
    if (options.phases.has('sync')) await runSync(runDir, options, results);
    if (options.phases.has('recovery')) await runRecovery(runDir, options, results);
  } finally {
    cleanup();
  }
  console.log(`\n== 5. Summary (load average at end ${loadAverage()}) ==`);
  printTable(summaryRows(results));
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
