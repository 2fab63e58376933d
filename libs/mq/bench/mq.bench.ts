/**
 * libs/mq benchmark: `npm run bench:mq [-- --quick] [-- --only m1,m2,m3]`.
 *
 * The broker runs as a child process (the CLI, transpiled once, as in `bench:broker`); the clients
 * (the raw official Producer and libs/mq inside a Nest application context) run in this process.
 * 1 KiB bodies, ASYNC_FLUSH, loopback. Figures:
 * - M1 the official Producer.send, 64 in flight (baseline), and MqProducer.send without batching,
 *   64 in flight, alternated twice: the wrapper's cost (target: within 10% of the raw client);
 * - M2 MqProducer with batching (lingerMs 1 and 5, batches of up to 256), 1,024 sends in flight: msgs/s and send p99;
 * - M3 end to end: MqProducer (lingerMs 5) -> broker -> an @MqConsumer handler in the same app,
 *   a burst of messages with 1,024 sends in flight: delivered msgs/s and send->handle p99.
 * Target: >= 50,000 msgs/s with batching. A benchmark, not a test: it prints figures.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamicModule, INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MqConsumer, MqMessage, MqModule, MqProducer } from '@app/mq';
import {
  BrokerBenchChild as BrokerChild,
  buildForBench,
  count,
  CpuMeter,
  fixed,
  killAllChildren,
  loadAverage,
  OfficialClients,
  percentile,
  printTable,
  runBench,
  startBrokerChild,
  SummaryRow,
  upsertTopic,
} from '@app/testkit';

/** 1 KiB bodies, as bench:broker's. */
const BODY_BYTES = 1024;

const QUEUES = 8;
const TARGET_BATCHED_MSGS_PER_SECOND = 50_000;
const TARGET_WRAPPER_RATIO = 0.9;
/**
 * maxBatchMessages of the batching cases (the module's default is 64). Measured with --quick,
 * lingerMs 1/5: 64 -> 19k/16k msgs/s, 128 -> 23k/26k, 256 -> 26k/28k: fewer, larger requests
 * are what the single gRPC connection needs.
 */
const BATCH_MESSAGES = 256;
// 1,024 sends in flight: 2,048 and 4,096 measured lower (19-22k msgs/s, p99 140-340 ms): the
// bench process is then CPU-bound (83-97% of a core) on protobuf encoding and GC.

interface Limits {
  warmupMs: number;
  loopMs: number;
  e2eMessages: number;
}

interface Figures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpu: string;
}

/** Runs `op` from `concurrency` loops for warmup + loop ms; counts and times the ops of the measured window. */
async function closedLoop(label: string, broker: BrokerChild, limits: Limits, concurrency: number, op: () => Promise<unknown>): Promise<Figures> {
  const started = performance.now();
  const measureFrom = started + limits.warmupMs;
  const measureTo = measureFrom + limits.loopMs;
  const latencies: number[] = [];
  let meter: CpuMeter | undefined;
  const warm = setTimeout(() => (meter = new CpuMeter(broker.process)), limits.warmupMs);
  const loops = Array.from({ length: concurrency }, async () => {
    while (performance.now() < measureTo) {
      const t0 = performance.now();
      await op();
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= measureTo) latencies.push(t1 - t0);
    }
  });
  await Promise.all(loops);
  clearTimeout(warm);
  const cpu = meter?.stop().text ?? '';
  latencies.sort((a, b) => a - b);
  const figures = { perSecond: (latencies.length * 1000) / limits.loopMs, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpu };
  console.log(`  ${label}: ${count(figures.perSecond)} msgs/s, p50 ${fixed(figures.p50Ms, 2)} ms, p99 ${fixed(figures.p99Ms, 2)} ms; ${cpu}`);
  return figures;
}

/** A Nest application context with MqModule (and, for M3, an @MqConsumer on `consumeTopic`). */
async function startApp(
  endpoints: string,
  lingerMs: number,
  consumeTopic?: string,
  onMessage?: (message: MqMessage<{ t: number }>) => void,
): Promise<INestApplicationContext> {
  const providers: Array<new (...args: never[]) => unknown> = [];
  if (consumeTopic && onMessage) {
    const handleMessage = onMessage;
    @Injectable()
    class BenchConsumer {
      @MqConsumer({ topic: consumeTopic!, group: `${consumeTopic}-group`, concurrency: 256 })
      async handle(message: MqMessage<{ t: number }>): Promise<void> {
        handleMessage(message);
      }
    }
    providers.push(BenchConsumer);
  }
  @Module({})
  class BenchModule {
    static create(): DynamicModule {
      return {
        module: BenchModule,
        imports: [MqModule.forRoot({ endpoints, logger: false, producer: { lingerMs, maxBatchMessages: BATCH_MESSAGES } })],
        providers,
      };
    }
  }
  const app = await NestFactory.createApplicationContext(BenchModule.create(), { logger: false });
  await app.init();
  return app;
}

async function measureWrapperCost(broker: BrokerChild, limits: Limits): Promise<{ raw: Figures[]; lib: Figures[] }> {
  console.log(`\n== M1. official Producer.send vs MqProducer.send (no batching), 64 in flight, ${BODY_BYTES} B Buffer bodies ==`);
  const topic = 'MqBenchSingle';
  await upsertTopic(broker, topic, QUEUES);
  const body = randomBytes(BODY_BYTES);
  const clients = new OfficialClients(broker.grpcEndpoint);
  const app = await startApp(broker.grpcEndpoint, 0);
  const raw: Figures[] = [];
  const lib: Figures[] = [];
  try {
    const official = await clients.producer({ topics: [topic] });
    const producer = app.get(MqProducer);
    for (let round = 1; round <= 2; round++) {
      raw.push(await closedLoop(`round ${round}, official Producer.send`, broker, limits, 64, () => official.send({ topic, tag: 'TagA', body })));
      lib.push(await closedLoop(`round ${round}, MqProducer.send     `, broker, limits, 64, () => producer.send(topic, body, { tag: 'TagA' })));
    }
  } finally {
    await app.close();
    await clients.shutdownAll();
  }
  return { raw, lib };
}

async function measureBatching(broker: BrokerChild, limits: Limits): Promise<Map<number, Figures>> {
  console.log(`\n== M2. MqProducer.send with batching, 1,024 sends in flight, ${BODY_BYTES} B Buffer bodies ==`);
  const results = new Map<number, Figures>();
  const body = randomBytes(BODY_BYTES);
  for (const lingerMs of [1, 5]) {
    const topic = `MqBenchBatch${lingerMs}`;
    await upsertTopic(broker, topic, QUEUES);
    const app = await startApp(broker.grpcEndpoint, lingerMs);
    try {
      const producer = app.get(MqProducer);
      results.set(lingerMs, await closedLoop(`lingerMs ${lingerMs}`, broker, limits, 1_024, () => producer.send(topic, body, { tag: 'TagA' })));
    } finally {
      await app.close();
    }
  }
  return results;
}

/** M3: a burst of `e2eMessages` through MqProducer (lingerMs 5) to an @MqConsumer in the same app. */
async function measureEndToEnd(broker: BrokerChild, limits: Limits): Promise<Figures> {
  console.log(
    `\n== M3. end to end: MqProducer (lingerMs 5) -> broker -> @MqConsumer (concurrency 256), ${count(limits.e2eMessages)} JSON messages of ~${BODY_BYTES} B ==`,
  );
  const topic = 'MqBenchEndToEnd';
  await upsertTopic(broker, topic, QUEUES);
  const latencies: number[] = [];
  let done: () => void = () => undefined;
  const allHandled = new Promise<void>((resolve) => (done = resolve));
  const app = await startApp(broker.grpcEndpoint, 5, topic, (message) => {
    latencies.push(performance.timeOrigin + performance.now() - message.payload.t);
    if (latencies.length === limits.e2eMessages) done();
  });
  const pad = 'x'.repeat(BODY_BYTES - 40);
  try {
    const producer = app.get(MqProducer);
    const meter = new CpuMeter(broker.process);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 1_024 }, async () => {
        while (next < limits.e2eMessages) {
          next++;
          await producer.send(topic, { t: performance.timeOrigin + performance.now(), pad });
        }
      }),
    );
    const sentMs = performance.now() - started;
    const timeout = new Promise<never>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`only ${latencies.length} of ${limits.e2eMessages} handled in 120 s`)), 120_000).unref(),
    );
    await Promise.race([allHandled, timeout]);
    const totalMs = performance.now() - started;
    const cpu = meter.stop().text;
    latencies.sort((a, b) => a - b);
    const figures = { perSecond: (limits.e2eMessages * 1000) / totalMs, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpu };
    console.log(
      `  sent in ${fixed(sentMs / 1000, 2)} s (${count((limits.e2eMessages * 1000) / sentMs)} msgs/s); all handled after ${fixed(totalMs / 1000, 2)} s`,
    );
    console.log(`  ${count(figures.perSecond)} msgs/s end to end, send->handle p50 ${fixed(figures.p50Ms, 1)} ms, p99 ${fixed(figures.p99Ms, 1)} ms; ${cpu}`);
    return figures;
  } finally {
    await app.close();
  }
}

function summary(m1: { raw: Figures[]; lib: Figures[] }, m2: Map<number, Figures>, m3: Figures | undefined): SummaryRow[] {
  const mean = (list: Figures[]) => list.reduce((sum, f) => sum + f.perSecond, 0) / list.length;
  const raw = mean(m1.raw);
  const lib = mean(m1.lib);
  const rows: SummaryRow[] = [];
  if (m1.raw.length > 0)
    rows.push(
      { figure: 'M1. official Producer.send, 64 in flight (mean of 2)', value: `${count(raw)} msgs/s`, target: '(baseline)', ratio: '1.00', verdict: '' },
      {
        figure: 'M1. MqProducer.send, no batching, 64 in flight (mean of 2)',
        value: `${count(lib)} msgs/s`,
        target: `>= ${TARGET_WRAPPER_RATIO * 100}% of official`,
        ratio: `${fixed((lib / raw) * 100, 0)}% of official`,
        verdict: lib / raw >= TARGET_WRAPPER_RATIO ? 'PASS' : 'MISS',
      },
    );
  for (const [lingerMs, f] of m2) {
    rows.push({
      figure: `M2. MqProducer.send, lingerMs ${lingerMs}, 1,024 in flight (p99 ${fixed(f.p99Ms, 1)} ms)`,
      value: `${count(f.perSecond)} msgs/s`,
      target: `>= ${count(TARGET_BATCHED_MSGS_PER_SECOND)} msgs/s`,
      ratio: `${fixed(f.perSecond / raw, 2)}x official`,
      verdict: f.perSecond >= TARGET_BATCHED_MSGS_PER_SECOND ? 'PASS' : 'MISS',
    });
  }
  if (m3) {
    rows.push({
      figure: `M3. end to end MqProducer(linger 5) -> @MqConsumer (p99 ${fixed(m3.p99Ms, 0)} ms)`,
      value: `${count(m3.perSecond)} msgs/s`,
      target: `>= ${count(TARGET_BATCHED_MSGS_PER_SECOND)} msgs/s`,
      ratio: `${fixed(m3.perSecond / raw, 2)}x official send`,
      verdict: m3.perSecond >= TARGET_BATCHED_MSGS_PER_SECOND ? 'PASS' : 'MISS',
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string', default: 'm1,m2,m3' } } });
  const only = new Set(values.only.split(',').map((name) => name.trim().toLowerCase()));
  const quick = values.quick === true;
  const limits: Limits = { warmupMs: quick ? 300 : 1_000, loopMs: quick ? 1_000 : 5_000, e2eMessages: quick ? 20_000 : 100_000 };
  console.log(`libs/mq benchmark${quick ? ' (--quick)' : ''}: node ${process.version}, ${os.cpus().length} cpu(s), load ${loadAverage()}`);
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mq-bench-'));
  const build = await buildForBench(['apps/broker/src']);
  const broker = await startBrokerChild(build, { name: 'broker', storeDir: path.join(runDir, 'store') });
  try {
    const m1 = only.has('m1') ? await measureWrapperCost(broker, limits) : { raw: [], lib: [] };
    const m2 = only.has('m2') ? await measureBatching(broker, limits) : new Map<number, Figures>();
    const m3 = only.has('m3') ? await measureEndToEnd(broker, limits) : undefined;
    console.log('\n== Summary ==');
    printTable(summary(m1, m2, m3));
    console.log(`load average at the end: ${loadAverage()}`);
  } finally {
    await broker.process.stop();
    killAllChildren();
    await build.remove();
    await fs.rm(runDir, { recursive: true, force: true });
  }
}

runBench(main);
