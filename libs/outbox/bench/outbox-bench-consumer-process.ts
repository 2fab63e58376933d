/**
 * The consumer side of `npm run bench:outbox -- --consumer-process` as a process of its own, so
 * that its CPU is read apart from the callers' (issue 13, section 1): the idempotent consumers of
 * flows (b) and (c) and the pg-boss workers of (d), in an application like the callers' one.
 *
 * Run as a script (forked by ConsumerProcess, IPC channel) it tells the bench, every few
 * milliseconds, how many orders each flow applied, the times of the applied orders while the bench
 * asks for them (latency runs), and its own gRPC and SQL counts. Imported, ConsumerProcess is the
 * bench's side of it.
 */
import { ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { BOSS_QUEUE, consumerProgress, createBenchApp, startBossWorkers } from './outbox-bench-app';
import { CallCounts, callCounts, ConsumerSide, installCallCounters } from './tier-meter';

/** How often the consumer process reports (ms): the bench's drain waits are this much coarser. */
const REPORT_INTERVAL_MS = 5;

/** From the consumer process to the bench. */
type Report =
  | { type: 'ready' }
  | {
      type: 'progress';
      /** Orders applied since the last report, by flow. */
      applied: Record<string, number>;
      /** [order id, epoch ms] of orders applied while times are asked for. */
      times: Array<[string, number]>;
      counts: CallCounts;
    };

/** From the bench to the consumer process. */
type Command = { type: 'record-times'; on: boolean } | { type: 'stop' };

/** The bench's handle on the consumer process: progress goes into consumerProgress as if the consumers ran here. */
export class ConsumerProcess implements ConsumerSide {
  private latest: CallCounts = { rpcs: {}, sqlStatements: 0 };

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (report: Report) => {
      if (report.type !== 'progress') return;
      for (const [flow, count] of Object.entries(report.applied)) consumerProgress.applied.set(flow, (consumerProgress.applied.get(flow) ?? 0) + count);
      // Epoch times to this process's performance.now() scale.
      for (const [orderId, atEpochMs] of report.times) consumerProgress.appliedAtMs.set(orderId, atEpochMs - performance.timeOrigin);
      this.latest = report.counts;
    });
  }

  /** Starts the consumers against `databaseUrl` (migrated already) and the broker; resolves once they run. */
  static async start(databaseUrl: string, endpoints: string, poolSize: number): Promise<ConsumerProcess> {
    const child = fork(__filename, [databaseUrl, endpoints, String(poolSize)], {
      // OUTBOX_BENCH_CONSUMER_NODE_FLAGS adds node flags (e.g. "--cpu-prof --cpu-prof-dir=/tmp/cprof").
      execArgv: [
        ...(process.env.OUTBOX_BENCH_CONSUMER_NODE_FLAGS ?? '').split(' ').filter(Boolean),
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`the consumer process exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.on('message', (report: Report) => {
        if (report.type !== 'ready') return;
        child.removeListener('exit', onExit);
        resolve();
      });
    });
    return new ConsumerProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  counts(): CallCounts {
    return this.latest;
  }

  /** Whether the consumer process reports when each order was applied (latency runs). */
  recordTimes(on: boolean): void {
    this.child.send({ type: 'record-times', on } satisfies Command);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' } satisfies Command);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const [databaseUrl, endpoints, poolSize] = process.argv.slice(2);
  installCallCounters();
  const app = await createBenchApp(databaseUrl, endpoints, Number(poolSize), 'consumers');
  const boss = new PgBoss({ connectionString: databaseUrl, max: 16, supervise: false, schedule: false });
  boss.on('error', (error) => console.error('pg-boss (consumer process):', error));
  await boss.start();
  await boss.createQueue(BOSS_QUEUE);
  await startBossWorkers(boss, app.get(DataSource));

  let applied: Record<string, number> = {};
  let times: Array<[string, number]> = [];
  let recordTimes = false;
  consumerProgress.onApplied = (flow, orderId) => {
    applied[flow] = (applied[flow] ?? 0) + 1;
    if (recordTimes) times.push([orderId, performance.timeOrigin + performance.now()]);
  };
  let reportedCounts = '';
  const report = setInterval(() => {
    const counts = callCounts();
    const countsKey = JSON.stringify(counts);
    // Quiet when nothing happened: the reports cost this process's CPU, which the bench measures.
    if (Object.keys(applied).length === 0 && times.length === 0 && countsKey === reportedCounts) return;
    reportedCounts = countsKey;
    process.send!({ type: 'progress', applied, times, counts } satisfies Report);
    applied = {};
    times = [];
  }, REPORT_INTERVAL_MS);

  process.on('message', (command: Command) => {
    if (command.type === 'record-times') recordTimes = command.on;
    if (command.type === 'stop') {
      clearInterval(report);
      void Promise.allSettled([app.close(), boss.stop({ graceful: false, wait: true })]).then(() => process.exit(0));
    }
  });
  // The bench going away (killed) takes this process with it.
  process.on('disconnect', () => process.exit(1));
  process.send!({ type: 'ready' } satisfies Report);
}

if (require.main === module) {
  main().catch((error) => {
    console.error('consumer process:', error);
    process.exit(1);
  });
}
