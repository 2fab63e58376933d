/**
 * Throughput cases of the broker benchmark: the bare gRPC echo baseline, the official client's
 * Producer.send, batched raw SendMessage, and draining a pre-filled topic (raw receive + ack and
 * the official SimpleConsumer). Each is a closed loop bounded by count and time.
 */
import { Metadata } from '@grpc/grpc-js';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { RawTransportKind } from './broker-bench-transport';
import { BODY_BYTES, CLIENT_START_TIMEOUT_MS, ProtoMessageFactory, RawBenchClient } from './broker-bench-clients';
import { EchoClient } from './broker-bench-echo-server';
import {
  BenchBuild,
  BrokerBenchChild as BrokerChild,
  count,
  CpuMeter,
  fixed,
  OfficialClients,
  perSecond,
  runClosedLoop,
  startEchoChild,
  withTimeout,
} from '@app/testkit';

/** Sizes and durations of one run; `--quick` shrinks them. */
export interface CaseLimits {
  /** Measured time of each closed loop. */
  loopMs: number;
  /** Unmeasured warm-up before each closed loop (JIT, connection, buffers). */
  warmupMs: number;
  /** Messages pre-filled and drained by the consume case. */
  consumeMessages: number;
  /** Upper bound of each drain. */
  drainMaxMs: number;
  /** Transport of the raw client (`--raw-transport`). */
  rawTransport: RawTransportKind;
}

/** Requests (or messages) per second of one closed loop, with the CPU both sides used. */
export interface Rate {
  label: string;
  perSecond: number;
  operations: number;
  elapsedMs: number;
  serverCpuPct: number;
  benchCpuPct: number;
}

const MAX_LOOP_OPERATIONS = 10_000_000;
export const CONCURRENCIES = [16, 64] as const;

/** Runs `operation` (resolving with how many items it moved) as a warm-up, then measured. */
async function closedLoop(
  label: string,
  unit: string,
  server: BrokerChild['process'] | undefined,
  limits: CaseLimits,
  concurrency: number,
  operation: () => Promise<number>,
): Promise<Rate> {
  await runClosedLoop({ concurrency, maxOperations: MAX_LOOP_OPERATIONS, maxMs: limits.warmupMs }, operation);
  const meter = new CpuMeter(server);
  const loop = await runClosedLoop({ concurrency, maxOperations: MAX_LOOP_OPERATIONS, maxMs: limits.loopMs }, operation);
  const cpu = meter.stop();
  const rate = perSecond(loop.bytes, loop.elapsedMs);
  console.log(`${label}: ${count(rate)} ${unit}/s (${count(loop.bytes)} in ${fixed(loop.elapsedMs, 0)} ms); ${cpu.text}; ${cpuPerItem(cpu, rate, unit)}`);
  return { label, perSecond: rate, operations: loop.bytes, elapsedMs: loop.elapsedMs, serverCpuPct: cpu.serverPct, benchCpuPct: cpu.benchPct };
}

/** CPU microseconds per item on each side: which side pays for what, whichever side saturates. */
function cpuPerItem(cpu: { serverPct: number; benchPct: number }, perSecondRate: number, unit: string): string {
  const us = (pct: number) => fixed((pct / 100 / perSecondRate) * 1e6, 0);
  const item = unit.replace(/s$/, '');
  return `cpu per ${item}: server ${us(cpu.serverPct)} us, bench process ${us(cpu.benchPct)} us`;
}

export interface EchoFigures {
  /** The baseline, by requests in flight. */
  bare: Map<number, Rate>;
  /** Diagnostic: 64 in flight carrying the official client's request headers. */
  withHeaders?: Rate;
  /** Diagnostic: the same on the broker's own gRPC server (node:http2), the floor of a unary call on the broker. */
  ownServer?: Rate;
}

/** 1. A bare grpc-js unary echo (1 KiB each way) against a server in its own child process. */
export async function measureEcho(build: BenchBuild, limits: CaseLimits): Promise<EchoFigures> {
  console.log(`\n== 1. Baseline: bare @grpc/grpc-js unary echo, ${BODY_BYTES} B each way, server in a child process ==`);
  const echo = await startEchoChild(build);
  const client = new EchoClient(echo.endpoint);
  const payload = randomBytes(BODY_BYTES);
  const rates = new Map<number, Rate>();
  let withHeaders: Rate | undefined;
  try {
    for (const concurrency of CONCURRENCIES) {
      const rate = await closedLoop(`${concurrency} in flight`, 'req', echo.process, limits, concurrency, async () => {
        const answer = await client.echo(payload);
        if (answer.length !== BODY_BYTES) throw new Error(`echo answered ${answer.length} bytes`);
        return 1;
      });
      rates.set(concurrency, rate);
    }
    // Diagnostic, not the baseline: the same echo carrying the six x-mq-* request headers the
    // official client sends with every call (BaseClient.getRequestMetadata), to price them.
    withHeaders = await closedLoop(
      "(diagnostic) 64 in flight, with the official client's 6 x-mq-* request headers",
      'req',
      echo.process,
      limits,
      64,
      async () => {
        await client.echo(payload, officialLikeMetadata());
        return 1;
      },
    );
  } finally {
    client.close();
    await echo.process.stop();
  }
  const own = await startEchoChild(build, 'own').catch((error: unknown) => {
    // A broker source from before its own gRPC server (`--ref`): the diagnostic has nothing to serve.
    console.log(`(diagnostic) the broker's own gRPC server: not measured, its echo child did not start: ${String(error)}`);
    return undefined;
  });
  if (!own) return { bare: rates, withHeaders };
  const ownClient = new EchoClient(own.endpoint);
  let ownServer: Rate | undefined;
  try {
    ownServer = await closedLoop(
      "(diagnostic) the broker's own gRPC server (node:http2), empty handler, 64 in flight with the 6 x-mq-* headers",
      'req',
      own.process,
      limits,
      64,
      async () => {
        const answer = await ownClient.echo(payload, officialLikeMetadata());
        if (answer.length !== BODY_BYTES) throw new Error(`echo answered ${answer.length} bytes`);
        return 1;
      },
    );
  } finally {
    ownClient.close();
    await own.process.stop();
  }
  return { bare: rates, withHeaders, ownServer };
}

/** The request headers rocketmq-client-nodejs 1.0.8 sets on every call (no namespace, no credentials). */
function officialLikeMetadata(): Metadata {
  const metadata = new Metadata();
  metadata.set('x-mq-protocol', 'v2');
  metadata.set('x-mq-client-id', 'bench-host@12345@0@abcdef');
  metadata.set('x-mq-date-time', new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, ''));
  metadata.set('x-mq-request-id', randomUUID());
  metadata.set('x-mq-language', 'HTTP');
  metadata.set('x-mq-client-version', '5.0.0');
  return metadata;
}

export interface ProducerFigures {
  official: Map<number, Rate>;
  /** Diagnostic: single-message SendMessage from the raw client, by requests in flight. */
  raw: Map<number, Rate>;
}

/** 2. The official client's Producer.send, one 1 KiB message per call (it always picks queue 0). */
export async function measureProducer(broker: BrokerChild, topic: string, limits: CaseLimits): Promise<ProducerFigures> {
  console.log(`\n== 2. Official client Producer.send (rocketmq-client-nodejs), ${BODY_BYTES} B bodies, topic ${topic} ==`);
  const clients = new OfficialClients(broker.grpcEndpoint);
  const rates = new Map<number, Rate>();
  try {
    const producer: Producer = await withTimeout(clients.producer({ topics: [topic] }), CLIENT_START_TIMEOUT_MS, 'official Producer start');
    const body = randomBytes(BODY_BYTES);
    for (const concurrency of CONCURRENCIES) {
      const rate = await closedLoop(`${concurrency} sends in flight`, 'msgs', broker.process, limits, concurrency, async () => {
        await producer.send({ topic, tag: 'TagA', body });
        return 1;
      });
      rates.set(concurrency, rate);
    }
  } finally {
    await clients.shutdownAll();
  }
  // Diagnostic: the same single-message SendMessage from the raw proto-loader client, to tell the
  // official client's own cost (bench process) from the broker's (server).
  const client = new RawBenchClient(broker.grpcEndpoint, { transport: limits.rawTransport });
  const factory = new ProtoMessageFactory(topic, 1);
  const raw = new Map<number, Rate>();
  try {
    for (const concurrency of CONCURRENCIES) {
      const label = `(diagnostic) ${concurrency} in flight, raw SendMessage of 1 message (proto-loader client, ${limits.rawTransport})`;
      raw.set(concurrency, await closedLoop(label, 'msgs', broker.process, limits, concurrency, () => client.send([factory.next()])));
    }
  } finally {
    client.close();
  }
  return { official: rates, raw };
}

/** Batch shapes of case 3: messages per SendMessage request x requests in flight. */
export const BATCH_SHAPES = [
  { batch: 32, inFlight: 8 },
  { batch: 64, inFlight: 4 },
] as const;

/** 3. Raw SendMessage with many messages per request (the protocol allows a batch per request). */
export async function measureBatchSend(broker: BrokerChild, topic: string, queues: number, limits: CaseLimits): Promise<Rate[]> {
  console.log(`\n== 3. Batched SendMessage (raw gRPC on ${limits.rawTransport}, one topic, ${queues} queues round-robin), ${BODY_BYTES} B bodies ==`);
  const client = new RawBenchClient(broker.grpcEndpoint, { transport: limits.rawTransport });
  const factory = new ProtoMessageFactory(topic, queues);
  const rates: Rate[] = [];
  try {
    for (const { batch, inFlight } of BATCH_SHAPES) {
      const label = `${batch} msgs/request x ${inFlight} requests in flight`;
      rates.push(await closedLoop(label, 'msgs', broker.process, limits, inFlight, () => client.send(factory.batch(batch))));
    }
  } finally {
    client.close();
  }
  // Diagnostic: the same requests spread over several HTTP/2 connections (one per client).
  const { batch, inFlight, connections } = MULTI_CONNECTION_SHAPE;
  const clients = Array.from({ length: connections }, () => new RawBenchClient(broker.grpcEndpoint, { ownConnection: true, transport: limits.rawTransport }));
  let next = 0;
  try {
    const label = `(diagnostic) ${batch} msgs/request x ${inFlight} in flight over ${connections} connections`;
    rates.push(await closedLoop(label, 'msgs', broker.process, limits, inFlight, () => clients[next++ % connections].send(factory.batch(batch))));
  } finally {
    for (const c of clients) c.close();
  }
  return rates;
}

/** The diagnostic shape of case 3: the first shape again, over several connections instead of one. */
export const MULTI_CONNECTION_SHAPE = { batch: 32, inFlight: 8, connections: 4 } as const;

/** Fills `topic` with `total` messages through batched raw SendMessage (32 x 8 in flight). */
export async function fillTopic(broker: BrokerChild, topic: string, queues: number, total: number, maxMs: number): Promise<Rate> {
  const client = new RawBenchClient(broker.grpcEndpoint);
  const factory = new ProtoMessageFactory(topic, queues);
  const meter = new CpuMeter(broker.process, false);
  try {
    const loop = await runClosedLoop({ concurrency: 8, maxOperations: Math.ceil(total / 32), maxMs: maxMs }, () => client.send(factory.batch(32)));
    const cpu = meter.stop();
    return {
      label: 'fill',
      perSecond: perSecond(loop.bytes, loop.elapsedMs),
      operations: loop.bytes,
      elapsedMs: loop.elapsedMs,
      serverCpuPct: cpu.serverPct,
      benchCpuPct: cpu.benchPct,
    };
  } finally {
    client.close();
  }
}

/**
 * Keeps `inFlight` receive-then-ack loops going until `total` messages were acknowledged or
 * `maxMs` passed. The rate counts up to the last acknowledgement, so receives left waiting on an
 * empty topic at the end (long polls of at least 5 s) do not dilute it.
 */
async function drain(
  label: string,
  broker: BrokerChild,
  total: number,
  inFlight: number,
  maxMs: number,
  receiveAndAck: () => Promise<number>,
  cancel: () => void,
): Promise<Rate> {
  const meter = new CpuMeter(broker.process);
  const startedAt = performance.now();
  const deadline = startedAt + maxMs;
  let acked = 0;
  let lastAckAt = startedAt;
  let cpu: ReturnType<CpuMeter['stop']> | undefined;
  const loop = async (): Promise<void> => {
    while (acked < total && performance.now() < deadline) {
      const n = await receiveAndAck();
      if (n > 0) {
        acked += n;
        lastAckAt = performance.now();
      }
      if (acked >= total && !cpu) {
        cpu = meter.stop();
        cancel();
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  cpu ??= meter.stop();
  const elapsedMs = lastAckAt - startedAt;
  const rate = perSecond(acked, elapsedMs);
  console.log(
    `${label}: ${count(rate)} msgs/s (${count(acked)} of ${count(total)} received and acked in ${fixed(elapsedMs, 0)} ms); ${cpu.text}; ${cpuPerItem(cpu, rate, 'msgs')}`,
  );
  return { label, perSecond: rate, operations: acked, elapsedMs, serverCpuPct: cpu.serverPct, benchCpuPct: cpu.benchPct };
}

export interface ConsumeFigures {
  fill: Rate;
  raw: Rate;
  simple: Rate;
}

export const CONSUME_IN_FLIGHT = 8;
export const CONSUME_BATCH = 32;

/** 4. Drains a pre-filled topic twice, with two consumer groups: raw receive + ack, then SimpleConsumer. */
export async function measureConsume(broker: BrokerChild, topic: string, queues: number, limits: CaseLimits): Promise<ConsumeFigures> {
  const total = limits.consumeMessages;
  console.log(
    `\n== 4. Consume: drain ${count(total)} pre-filled ${BODY_BYTES} B messages (${queues} queues), batch ${CONSUME_BATCH}, ${CONSUME_IN_FLIGHT} receives in flight ==`,
  );
  const fill = await fillTopic(broker, topic, queues, total, 5 * 60_000);
  console.log(`pre-fill: ${count(fill.operations)} messages at ${count(fill.perSecond)} msgs/s`);

  const client = new RawBenchClient(broker.grpcEndpoint, { transport: limits.rawTransport });
  let raw: Rate;
  try {
    raw = await drain(
      `raw ReceiveMessage + one AckMessage per batch (${limits.rawTransport})`,
      broker,
      total,
      CONSUME_IN_FLIGHT,
      limits.drainMaxMs,
      async () => {
        const messages = await client.receive(topic, 'bench-raw-group', CONSUME_BATCH, 5_000);
        return messages.length > 0 ? client.ack(topic, 'bench-raw-group', messages) : 0;
      },
      () => client.cancelReceives(),
    );
  } finally {
    client.close();
  }

  const clients = new OfficialClients(broker.grpcEndpoint);
  let simple: Rate;
  try {
    const consumer: SimpleConsumer = await withTimeout(
      clients.simpleConsumer({ consumerGroup: 'bench-simple-group', subscriptions: new Map([[topic, '*']]), awaitDuration: 5_000 }),
      CLIENT_START_TIMEOUT_MS,
      'official SimpleConsumer start',
    );
    simple = await drain(
      'official SimpleConsumer receive(32) + ack() per message',
      broker,
      total,
      CONSUME_IN_FLIGHT,
      limits.drainMaxMs,
      async () => {
        const views = await consumer.receive(CONSUME_BATCH, 60_000);
        await Promise.all(views.map((view) => consumer.ack(view)));
        return views.length;
      },
      () => undefined,
    );
  } finally {
    await clients.shutdownAll();
  }
  return { fill, raw, simple };
}
