/**
 * Broker benchmark: `npm run bench:broker [-- --quick] [-- --only echo,producer,batch,consume,latency,rss,transaction]
 * [-- --cpu-prof] [-- --dir DIR]`.
 *
 * The broker runs as a child process (the CLI, main.ts, from a transpiled build), as in
 * production: an in-process broker would share this process's event loop with the clients and
 * understate throughput. The baseline, a bare grpc-js unary echo server, is a child process too.
 * All traffic is on 127.0.0.1; every loop is bounded in count and time; every client and child
 * is shut down at the end. ASYNC_FLUSH, 1 KiB bodies. A benchmark, not a test: it prints figures
 * and their ratio to the baseline measured in the same run, and fails only on errors.
 */
import { RAW_TRANSPORTS, RawTransportKind } from './broker-bench-transport';
import { promises as fs, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BODY_BYTES } from './broker-bench-clients';
import { LatencyClientKind, LatencyFigures, LatencyLimits, measureLatency, measureRss, RssFigures } from './broker-bench-latency';
import { summarizeProfile } from './broker-bench-profile';
import {
  BATCH_SHAPES,
  CaseLimits,
  CONCURRENCIES,
  ConsumeFigures,
  EchoFigures,
  ProducerFigures,
  measureBatchSend,
  measureConsume,
  measureEcho,
  measureProducer,
  MULTI_CONNECTION_SHAPE,
  Rate,
} from './broker-bench-throughput';
import {
  CheckBackFigures,
  killProducerChildren,
  measureCheckBack,
  measureTransactionThroughput,
  TRANSACTION_CHILD_SOURCES,
  TransactionLimits,
  TransactionThroughputFigures,
  TX_CONCURRENCY,
  upsertTypedTopic,
} from './broker-bench-transaction';
import { measureTxTransport, TxTransportFigure } from './broker-bench-tx-transport';
import { measureOverload, OVERLOAD_CHILD_SOURCES, OVERLOAD_RSS_CEILING_MB, OverloadFigures } from './broker-bench-overload';
import {
  BrokerBenchChild as BrokerChild,
  buildForBench,
  count,
  describeSource,
  fixed,
  killAllChildren,
  loadAverage,
  measuredWindows,
  printTable,
  REPO_ROOT,
  runBench,
  startBrokerChild,
  SummaryRow,
  upsertTopic,
} from '@app/testkit';

const CASES = ['echo', 'producer', 'batch', 'consume', 'latency', 'rss', 'transaction', 'tx-transport', 'overload'] as const;
type Case = (typeof CASES)[number];

const USAGE = `usage: npm run bench:broker -- [--quick] [--only ${CASES.join(',')}] [--cpu-prof] [--dir DIR]
                                [--latency-client raw|official] [--raw-transport grpc-js|http2] [--ref GIT_REF]
  --quick     small counts and short loops: a smoke run, figures are not comparable to targets
  --only      cases to run (producer also runs echo: its ratio needs the baseline; transaction runs
              T1, normal vs transactional end to end on the main broker, and T2, the check-back
              after a producer SIGKILL, on a broker child of its own with a short broker.conf);
              tx-transport runs T3, one transaction's two calls by client wire stack (official
              client, raw grpc-js, node:http2 + protobufjs) at 1 and 32 in flight; overload runs two
              sender processes flat out with no consumer on a broker child of its own
  --cpu-prof  run the main broker child under node --cpu-prof and print its hotspots at the end
  --dir       parent directory of the run's stores (default: <repo>/.bench)
  --ref       build the broker (apps/broker/src) from this commit, e.g. HEAD, not the working tree
  --latency-client  clients of case 5 (default raw: the official Producer cannot send 2,000 msgs/s
              from one process on a small machine, see case 2, and would measure its own queueing)
  --raw-transport  transport of the raw client in cases 2 (diagnostic), 3, 4 and 5 (default grpc-js;
              http2: a bare node:http2 session, about a quarter less of the bench process's CPU at 2,000
              msgs/s, so less of the machine taken from the broker; broker-bench-transport.ts)
environment: BROKER_BENCH_NODE_FLAGS="..." adds node flags to the broker children (experiments)`;

const QUEUES = 8;
const TOPICS = {
  producer: 'BenchProduce',
  batch: 'BenchBatch',
  consume: 'BenchConsume',
  latency: 'BenchLatency',
  latencyLow: 'BenchLatencyLow',
  rss: 'BenchRss',
  txNormal: 'BenchTxNormal',
  txHalf: 'BenchTxHalf',
  txTransport: 'BenchTxTransport',
} as const;

/** Targets of the figures. */
const TARGETS = {
  producerRatio: 0.7,
  batchMsgsPerSecond: 50_000,
  latencyP99Ms: 10,
  rssMb: 300,
  /** Transactional end-to-end msgs/s as a share of normal ones (same client, same concurrency). */
  transactionRatio: 0.5,
  /** Kill -> delivery of an orphaned half message: at most transactionTimeOut + transactionCheckInterval + this. */
  checkBackSlackMs: 1_000,
};

interface Options {
  quick: boolean;
  cases: Set<Case>;
  cpuProf: boolean;
  dir: string;
  limits: CaseLimits;
  latency: LatencyLimits;
  /** A second, lighter latency run (diagnostic): the latency when the machine is not near saturation. */
  lowRateLatency: LatencyLimits | undefined;
  rssMessages: number;
  transaction: TransactionLimits;
  /** Build the broker from this git commit instead of the working tree. */
  ref: string | undefined;
  /** The whole run is abandoned (children killed, exit 1) after this long. */
  runLimitMs: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      dir: { type: 'string' },
      'latency-client': { type: 'string', default: 'raw' },
      'raw-transport': { type: 'string', default: 'grpc-js' },
      ref: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const requested = (values.only ?? CASES.join(',')).split(',').map((c) => c.trim());
  const unknown = requested.filter((c) => !(CASES as readonly string[]).includes(c));
  if (unknown.length > 0) throw new Error(`unknown case(s) ${unknown.join(', ')}\n${USAGE}`);
  const cases = new Set(requested as Case[]);
  const latencyClient = values['latency-client'] as LatencyClientKind;
  if (latencyClient !== 'raw' && latencyClient !== 'official') throw new Error(`--latency-client must be raw or official\n${USAGE}`);
  const rawTransport = values['raw-transport'] as RawTransportKind;
  if (!RAW_TRANSPORTS.includes(rawTransport)) throw new Error(`--raw-transport must be ${RAW_TRANSPORTS.join(' or ')}\n${USAGE}`);
  if (cases.has('producer')) cases.add('echo');
  return {
    quick,
    cases,
    cpuProf: values['cpu-prof'] === true,
    dir: path.resolve(values.dir ?? path.join(REPO_ROOT, '.bench')),
    limits: {
      loopMs: quick ? 1_000 : 5_000,
      warmupMs: quick ? 300 : 1_000,
      consumeMessages: quick ? 20_000 : 100_000,
      drainMaxMs: quick ? 20_000 : 90_000,
      rawTransport,
    },
    // 3 s of warm-up: a fresh broker and client (cold JIT, first connections) fall behind for the
    // first 1.5-2 s at this rate and catch up by 2 s; that transient is printed, not counted.
    latency: { ratePerSecond: 2_000, warmupMs: quick ? 500 : 3_000, measureMs: quick ? 2_000 : 10_000, receivers: 4, client: latencyClient, rawTransport },
    lowRateLatency: quick ? undefined : { ratePerSecond: 500, warmupMs: 1_000, measureMs: 5_000, receivers: 4, client: latencyClient, rawTransport },
    rssMessages: quick ? 100_000 : 1_000_000,
    transaction: {
      warmupMs: quick ? 300 : 1_000,
      loopMs: quick ? 1_000 : 5_000,
      checkBackRuns: quick ? 3 : 5,
      checkBack: { transactionTimeoutMs: 2_000, transactionCheckIntervalMs: 3_000 },
    },
    ref: values.ref,
    runLimitMs: (quick ? 10 : 30) * 60_000,
  };
}

interface Results {
  echo?: EchoFigures;
  producer?: ProducerFigures;
  batch?: Rate[];
  consume?: ConsumeFigures;
  latency?: LatencyFigures;
  lowRateLatency?: LatencyFigures;
  rss?: RssFigures;
  transaction?: TransactionThroughputFigures;
  checkBack?: CheckBackFigures;
  txTransport?: TxTransportFigure[];
  overload?: OverloadFigures;
  mainBrokerRssMb?: number;
}

const rate = (r: Rate, unit: string) => `${count(r.perSecond)} ${unit}/s`;

function summaryRows(results: Results, options: Options): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const echo = results.echo?.bare;
  for (const c of CONCURRENCIES) {
    const e = echo?.get(c);
    if (e) rows.push({ figure: `1. bare grpc-js unary echo, ${c} in flight`, value: rate(e, 'req'), target: '(baseline)', ratio: '1.00', verdict: '' });
  }
  for (const c of CONCURRENCIES) {
    const p = results.producer?.official.get(c);
    const e = echo?.get(c);
    if (!p) continue;
    const ratio = e ? p.perSecond / e.perSecond : Number.NaN;
    rows.push({
      figure: `2. official Producer.send, ${c} in flight`,
      value: rate(p, 'msgs'),
      target: `>= ${TARGETS.producerRatio * 100}% of echo c=${c}`,
      ratio: `${fixed(ratio * 100, 0)}% of echo c=${c}`,
      verdict: ratio >= TARGETS.producerRatio ? 'PASS' : 'MISS',
    });
  }
  for (const c of CONCURRENCIES) {
    const r = results.producer?.raw.get(c);
    const e = echo?.get(c);
    if (!r) continue;
    const ratio = e ? `${fixed((r.perSecond / e.perSecond) * 100, 0)}% of echo c=${c}` : '-';
    rows.push({ figure: `   (diag.) raw SendMessage x1, ${c} in flight`, value: rate(r, 'msgs'), target: '(no target)', ratio, verdict: '' });
  }
  const echo64 = echo?.get(64)?.perSecond;
  const ofEcho64 = (value: number) => (echo64 ? `${fixed(value / echo64, 2)}x echo c=64 req/s` : '-');
  results.batch?.forEach((b, i) => {
    const shape = BATCH_SHAPES[i];
    if (!shape) {
      const { batch, inFlight, connections } = MULTI_CONNECTION_SHAPE;
      rows.push({
        figure: `   (diag.) ${batch} msgs/req x ${inFlight}, ${connections} connections`,
        value: rate(b, 'msgs'),
        target: '(no target)',
        ratio: ofEcho64(b.perSecond),
        verdict: '',
      });
      return;
    }
    rows.push({
      figure: `3. batched SendMessage, ${shape.batch} msgs/req x ${shape.inFlight}`,
      value: rate(b, 'msgs'),
      target: `>= ${count(TARGETS.batchMsgsPerSecond)} msgs/s`,
      ratio: ofEcho64(b.perSecond),
      verdict: b.perSecond >= TARGETS.batchMsgsPerSecond ? 'PASS' : 'MISS',
    });
  });
  if (results.consume) {
    const { raw, simple } = results.consume;
    rows.push({
      figure: '4. consume: raw Receive(32) + batch Ack',
      value: rate(raw, 'msgs'),
      target: '(no target)',
      ratio: ofEcho64(raw.perSecond),
      verdict: '',
    });
    rows.push({
      figure: '4. consume: SimpleConsumer receive(32) + ack',
      value: rate(simple, 'msgs'),
      target: '(no target)',
      ratio: ofEcho64(simple.perSecond),
      verdict: '',
    });
  }
  const l = results.latency;
  if (l) {
    const at = `@ ${count(l.ratePerSecond)} msgs/s, ${l.client}`;
    rows.push({ figure: `5. e2e latency p50 ${at}`, value: `${fixed(l.p50Ms, 2)} ms`, target: '(no target)', ratio: '-', verdict: '' });
    rows.push({
      figure: `5. e2e latency p99 ${at}`,
      value: `${fixed(l.p99Ms, 2)} ms`,
      target: `<= ${TARGETS.latencyP99Ms} ms`,
      ratio: '-',
      verdict: l.p99Ms <= TARGETS.latencyP99Ms && l.lost === 0 ? 'PASS' : 'MISS',
    });
    rows.push({ figure: `5. e2e latency max ${at}`, value: `${fixed(l.maxMs, 2)} ms`, target: '(no target)', ratio: '-', verdict: '' });
    rows.push({
      figure: `   (warm-up) p99 / max, not counted`,
      value: `${fixed(l.warmupP99Ms, 0)} / ${fixed(l.warmupMaxMs, 0)} ms`,
      target: '(no target)',
      ratio: '-',
      verdict: '',
    });
  }
  const low = results.lowRateLatency;
  if (low) {
    const value = `${fixed(low.p50Ms, 2)} / ${fixed(low.p99Ms, 2)} ms`;
    rows.push({ figure: `   (diag.) p50 / p99 @ ${count(low.ratePerSecond)} msgs/s, ${low.client}`, value, target: '(no target)', ratio: '-', verdict: '' });
  }
  const r = results.rss;
  if (r) {
    const rss = Math.max(r.rssAfterMb, r.rssSettledMb);
    rows.push({
      figure: `6. broker VmRSS after ${count(r.stored)} stored msgs`,
      value: `${fixed(rss, 0)} MB`,
      target: `<= ${TARGETS.rssMb} MB${options.quick ? ' (at 1M)' : ''}`,
      ratio: '-',
      verdict: options.quick ? '' : rss <= TARGETS.rssMb ? 'PASS' : 'MISS',
    });
  }
  const t = results.transaction;
  if (t) {
    const e2e = (r: typeof t.normal) => `${count(r.perSecond)} msgs/s, p99 ${fixed(r.p99Ms, 1)} ms`;
    rows.push({ figure: `T1. normal: send x1 + consume, ${TX_CONCURRENCY} in flight`, value: e2e(t.normal), target: '(baseline)', ratio: '1.00', verdict: '' });
    const ratio = t.transactional.perSecond / t.normal.perSecond;
    const lost = t.normal.lost + t.transactional.lost;
    rows.push({
      figure: `T1. transactional: half + commit + consume, ${TX_CONCURRENCY} in flight`,
      value: e2e(t.transactional),
      target: `>= ${TARGETS.transactionRatio * 100}% of normal`,
      ratio: `${fixed(ratio * 100, 0)}% of normal${lost > 0 ? `, ${lost} lost` : ''}`,
      verdict: ratio >= TARGETS.transactionRatio && lost === 0 ? 'PASS' : 'MISS',
    });
  }
  for (const figure of results.txTransport ?? []) {
    const official = results.txTransport!.find((other) => other.stack === 'official' && other.inFlight === figure.inFlight)!;
    rows.push({
      figure: `T3. half + commit, ${figure.stack}, ${figure.inFlight} in flight`,
      value: `${count(figure.perSecond)} tx/s`,
      target: '(diagnostic)',
      ratio: `CPU/tx client ${fixed(figure.clientCpuMsPerTx, 2)} ms (${fixed(figure.clientCpuMsPerTx / official.clientCpuMsPerTx, 2)}x official), broker ${fixed(figure.brokerCpuMsPerTx, 2)} ms`,
      verdict: '',
    });
  }
  const o = results.overload;
  if (o) {
    const ok = o.peakRssMb <= OVERLOAD_RSS_CEILING_MB && o.failed === 0 && o.servingAfter;
    rows.push({
      figure: `O. overload: 2 senders flat out ${o.seconds} s, no consumer`,
      value: `${count(o.storedPerSecond)} msgs/s, RSS peak ${fixed(o.peakRssMb, 0)} MB`,
      target: `RSS <= ${OVERLOAD_RSS_CEILING_MB} MB, no failure, serving after`,
      ratio: `${o.busy} busy answers, ${o.failed} failures, ${fixed(o.rssAfterMb, 0)} MB 5 s after`,
      verdict: options.quick ? '' : ok ? 'PASS' : 'MISS',
    });
  }
  const cb = results.checkBack;
  if (cb) {
    const limitMs = cb.transactionTimeoutMs + cb.transactionCheckIntervalMs + TARGETS.checkBackSlackMs;
    const worst = cb.latenciesMs.some((v) => Number.isNaN(v)) ? Number.NaN : Math.max(...cb.latenciesMs);
    rows.push({
      figure: `T2. check-back: producer SIGKILL -> delivered, max of ${cb.latenciesMs.length}`,
      value: Number.isNaN(worst) ? 'not delivered' : `${fixed(worst, 0)} ms`,
      target: `<= ${limitMs} ms (timeout ${cb.transactionTimeoutMs} + interval ${cb.transactionCheckIntervalMs} + 1 s)`,
      ratio: `runs: ${cb.latenciesMs.map((v) => (Number.isNaN(v) ? 'lost' : fixed(v, 0))).join(', ')} ms`,
      verdict: worst <= limitMs ? 'PASS' : 'MISS',
    });
  }
  return rows;
}

const cpuUsPerOp = (r: Rate, pct: number): number => (pct / 100 / r.perSecond) * 1e6;

/** Where the time per operation went, from the CPU each side used: which side limits each figure. */
function printNotes(results: Results): void {
  const notes: string[] = [];
  for (const c of CONCURRENCIES) {
    const e = results.echo?.bare.get(c);
    const p = results.producer?.official.get(c);
    if (!e || !p) continue;
    const echoClient = cpuUsPerOp(e, e.benchCpuPct);
    const officialClient = cpuUsPerOp(p, p.benchCpuPct);
    const saturated = e.benchCpuPct >= 85 && p.benchCpuPct >= 85;
    notes.push(
      `c=${c}: the bench process spends ${fixed(echoClient, 0)} us of CPU per echo call and ${fixed(officialClient, 0)} us per Producer.send ` +
        `(bench process at ${fixed(e.benchCpuPct, 0)}% / ${fixed(p.benchCpuPct, 0)}% of a core)` +
        (saturated
          ? `: the client process is the bottleneck of both, so Producer.send/echo cannot exceed ~${fixed((echoClient / officialClient) * 100, 0)}% whatever the broker does. `
          : '. ') +
        `Server side: ${fixed(cpuUsPerOp(p, p.serverCpuPct), 0)} us of broker CPU per send vs ${fixed(cpuUsPerOp(e, e.serverCpuPct), 0)} us of echo-server CPU per call.`,
    );
  }
  const own = results.echo?.ownServer;
  if (own) {
    const perCall = cpuUsPerOp(own, own.serverCpuPct);
    notes.push(
      `The broker's own gRPC server (node:http2) spends ${fixed(perCall, 0)} us of CPU per unary call with an empty handler ` +
        `(64 in flight, the official client's headers): the floor of any call on the broker, so a transactional message's two calls ` +
        `(SendMessage, EndTransaction) cost it at least ${fixed(2 * perCall, 0)} us before storing anything.`,
    );
  }
  for (const b of (results.batch ?? []).slice(0, BATCH_SHAPES.length)) {
    if (b.serverCpuPct < 90 && b.benchCpuPct < 90) {
      notes.push(
        `${b.label}: neither process is CPU-saturated (broker ${fixed(b.serverCpuPct, 0)}%, bench ${fixed(b.benchCpuPct, 0)}% of a core): ` +
          `bound by round trips on one HTTP/2 connection rather than by CPU (compare the ${MULTI_CONNECTION_SHAPE.connections}-connection diagnostic).`,
      );
    }
  }
  const l = results.latency;
  if (l && (l.serverCpuPct > 70 || l.benchCpuPct > 70)) {
    notes.push(
      `latency @ ${count(l.ratePerSecond)} msgs/s: broker ${fixed(l.serverCpuPct, 0)}% and bench process ${fixed(l.benchCpuPct, 0)}% CPU, sharing 2 cores: ` +
        `a pause of either event loop (GC, most of all) delays every message in flight, and the send round trip alone has p99 ${fixed(l.sendP99Ms, 0)} ms.`,
    );
  }
  if (notes.length === 0) return;
  console.log('\nnotes:');
  for (const note of notes) console.log(`- ${note}`);
}

function warnAboutOtherLoad(): void {
  const others = otherLoad();
  if (others.length > 0) console.log(`WARNING: other benchmark/test processes are running, figures are skewed:\n  ${others.join('\n  ')}`);
}

/** Other benchmark or test processes on the machine (they would skew the figures). */
function otherLoad(): string[] {
  const found: string[] = [];
  // This run's own chain (npm -> sh -> ts-node): another bench:broker run is other load too.
  const ancestors = new Set<number>([process.pid]);
  for (let pid = process.ppid; pid > 1 && !ancestors.has(pid);) {
    ancestors.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (ancestors.has(Number(pid))) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (/\.bench\.ts|bench:|jest/.test(cmdline)) found.push(`${pid}: ${cmdline.slice(0, 120)}`);
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

async function runBrokerCases(
  build: Awaited<ReturnType<typeof buildForBench>>,
  runDir: string,
  options: Options,
  results: Results,
  profileDir: string | undefined,
): Promise<void> {
  const brokerCases = (['producer', 'batch', 'consume', 'latency', 'transaction', 'tx-transport'] as const).filter((c) => options.cases.has(c));
  if (brokerCases.length === 0) return;
  // With extra node flags (--trace-gc-nvp, ...), what they print is kept next to the run dir.
  const textLinesFile = process.env.BROKER_BENCH_NODE_FLAGS?.trim() ? `${runDir}-broker-stdout.log` : undefined;
  const broker: BrokerChild = await startBrokerChild(build, {
    name: 'broker',
    storeDir: path.join(runDir, 'store-main'),
    cpuProfDir: profileDir,
    textLinesFile,
  });
  if (textLinesFile) console.log(`the broker child's non-JSON stdout (BROKER_BENCH_NODE_FLAGS output) goes to ${textLinesFile}`);
  console.log(`\nbroker child pid ${broker.process.pid}, gRPC ${broker.grpcEndpoint}, admin ${broker.adminUrl}${profileDir ? ', under --cpu-prof' : ''}`);
  try {
    for (const topic of [TOPICS.producer, TOPICS.batch, TOPICS.consume, TOPICS.latency]) await upsertTopic(broker, topic, QUEUES);
    if (options.cases.has('producer')) results.producer = await measureProducer(broker, TOPICS.producer, options.limits);
    if (options.cases.has('batch')) results.batch = await measureBatchSend(broker, TOPICS.batch, QUEUES, options.limits);
    if (options.cases.has('consume')) results.consume = await measureConsume(broker, TOPICS.consume, QUEUES, options.limits);
    if (options.cases.has('latency')) {
      results.latency = await measureLatency(broker, TOPICS.latency, options.latency);
      if (options.lowRateLatency) {
        await upsertTopic(broker, TOPICS.latencyLow, QUEUES);
        console.log("(diagnostic: the same at a lower rate, to separate the broker's latency from queueing on a saturated machine)");
        results.lowRateLatency = await measureLatency(broker, TOPICS.latencyLow, options.lowRateLatency);
      }
    }
    if (options.cases.has('transaction')) {
      results.transaction = await measureTransactionThroughput(broker, { normal: TOPICS.txNormal, transactional: TOPICS.txHalf }, QUEUES, options.transaction);
    }
    if (options.cases.has('tx-transport')) {
      await upsertTypedTopic(broker, TOPICS.txTransport, 1, 'TRANSACTION');
      results.txTransport = await measureTxTransport(broker, TOPICS.txTransport, options.transaction);
    }
    results.mainBrokerRssMb = broker.process.statusMb('VmRSS');
    console.log(
      `\nbroker VmRSS at the end of the cases it served: ${fixed(results.mainBrokerRssMb, 0)} MB (VmHWM ${fixed(broker.process.statusMb('VmHWM'), 0)} MB)`,
    );
  } finally {
    await broker.process.stop();
  }
}

async function runOverload(build: Awaited<ReturnType<typeof buildForBench>>, runDir: string, options: Options, results: Results): Promise<void> {
  const broker = await startBrokerChild(build, { name: 'broker (overload)', storeDir: path.join(runDir, 'store-overload') });
  try {
    results.overload = await measureOverload(build, broker, 'BenchOverload', options.quick ? 5 : 30);
  } finally {
    await broker.process.stop();
  }
  await fs.rm(path.join(runDir, 'store-overload'), { recursive: true, force: true });
}

async function runRss(build: Awaited<ReturnType<typeof buildForBench>>, runDir: string, options: Options, results: Results): Promise<void> {
  const broker = await startBrokerChild(build, { name: 'broker (rss)', storeDir: path.join(runDir, 'store-rss') });
  try {
    await upsertTopic(broker, TOPICS.rss, QUEUES);
    results.rss = await measureRss(broker, TOPICS.rss, QUEUES, options.rssMessages);
  } finally {
    await broker.process.stop();
  }
  await fs.rm(path.join(runDir, 'store-rss'), { recursive: true, force: true });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await fs.mkdir(options.dir, { recursive: true });
  const runDir = await fs.mkdtemp(path.join(options.dir, 'broker-bench-'));
  const profileDir = options.cpuProf ? path.join(runDir, 'cpu-prof') : undefined;
  console.log(`broker benchmark${options.quick ? ' (--quick: smoke run, small counts)' : ''}: cases ${[...options.cases].join(', ')}`);
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${loadAverage()}; ` +
      `ASYNC_FLUSH, ${BODY_BYTES} B bodies, ${QUEUES} queues per topic, all traffic on 127.0.0.1`,
  );
  console.log(`broker and echo server run as child processes (transpiled build); this process runs the clients. run dir ${runDir}`);
  warnAboutOtherLoad();
  const tempDirs = [runDir];
  const abandon = (exitCode: number): void => {
    killAllChildren();
    killProducerChildren();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(exitCode);
  };
  process.on('SIGINT', () => abandon(130));
  process.on('SIGTERM', () => abandon(143));

  const watchdog = setTimeout(() => {
    console.error(`broker benchmark: still running after ${options.runLimitMs / 60_000} min; giving up`);
    abandon(1);
  }, options.runLimitMs);
  watchdog.unref();

  const brokerSource = 'apps/broker/src';
  console.log(`broker built from: ${describeSource(options.ref, brokerSource)}`);
  const childSources = [
    ...(options.cases.has('transaction') ? TRANSACTION_CHILD_SOURCES : []),
    ...(options.cases.has('overload') ? OVERLOAD_CHILD_SOURCES : []),
  ];
  const build = await buildForBench([brokerSource, 'apps/broker/bench/broker-bench-echo-server.ts', ...childSources], {
    ref: options.ref,
    refDirs: [brokerSource],
  });
  tempDirs.push(build.outDir);
  const results: Results = {};
  try {
    if (options.cases.has('echo')) results.echo = await measureEcho(build, options.limits);
    const firstBrokerWindow = measuredWindows.length;
    await runBrokerCases(build, runDir, options, results, profileDir);
    const brokerWindows = measuredWindows.slice(firstBrokerWindow);
    if (options.cases.has('transaction')) results.checkBack = await measureCheckBack(build, runDir, options.transaction);
    if (options.cases.has('rss')) await runRss(build, runDir, options, results);
    if (options.cases.has('overload')) await runOverload(build, runDir, options, results);

    console.log(`\n== 7. Summary${options.quick ? ' (--quick: not comparable to the targets)' : ''} ==`);
    printTable(summaryRows(results, options));
    printNotes(results);
    console.log(`\nload average at the end: ${loadAverage()}`);
    warnAboutOtherLoad();
    if (profileDir) {
      console.log('\n== CPU profile of the main broker child, measured loops of the cases it served (no startup, warm-up or pre-fill) ==');
      for (const file of (await fs.readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile'))) {
        const kept = path.join(options.dir, `broker-${path.basename(runDir)}.cpuprofile`);
        await fs.copyFile(path.join(profileDir, file), kept);
        summarizeProfile(kept, build.outDir, brokerWindows);
        console.log(`(profile kept at ${kept}; open it in Chrome DevTools > Performance)`);
      }
    }
  } finally {
    killAllChildren();
    killProducerChildren();
    await build.remove();
    await fs.rm(runDir, { recursive: true, force: true });
  }
}

runBench(main, killProducerChildren);
