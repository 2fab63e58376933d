/**
 * Latency and memory cases of the broker benchmark: end-to-end latency at a fixed, paced send rate
 * (raw gRPC or the official clients), and the broker process's RSS once a million messages are stored.
 */
import { randomBytes } from 'node:crypto';
import { IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { MessageView, Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { BODY_BYTES, CLIENT_START_TIMEOUT_MS, ProtoMessageFactory, RawBenchClient } from './broker-bench-clients';
import { fillTopic, Rate } from './broker-bench-throughput';
import { RawTransportKind } from './broker-bench-transport';
import { BrokerBenchChild as BrokerChild, count, CpuMeter, fixed, OfficialClients, percentile, sleep, withTimeout } from '@app/testkit';

export interface LatencyFigures {
  client: LatencyClientKind;
  ratePerSecond: number;
  sent: number;
  measured: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  sendP50Ms: number;
  sendP99Ms: number;
  /** The warm-up's messages (not in the figures above): the start-up transient, shown rather than hidden. */
  warmupP99Ms: number;
  warmupMaxMs: number;
  /** Event-loop delay over the measured sends, both processes (prom-client's monitor in the broker, 10 ms resolution). */
  loopDelay: { brokerP99Ms: number; brokerMaxMs: number; benchP99Ms: number; benchMaxMs: number };
  /** The broker's major (mark-compact) GCs over the measured sends: how many, and their mean pause. */
  brokerMajorGc: { count: number; meanMs: number };
  serverCpuPct: number;
  benchCpuPct: number;
}

export type LatencyClientKind = 'raw' | 'official';

export interface LatencyLimits {
  ratePerSecond: number;
  warmupMs: number;
  measureMs: number;
  receivers: number;
  client: LatencyClientKind;
  /** Transport of the raw client (`--raw-transport`). */
  rawTransport: RawTransportKind;
}

/** What the latency case needs from a client: send one message, receive a batch and acknowledge it. */
interface LatencyClient {
  describe: string;
  send(body: Buffer): Promise<unknown>;
  /** One long-polling receive; `ack` acknowledges everything it returned. */
  receive(): Promise<{ bodies: Buffer[]; ack: () => Promise<unknown> }>;
  /** Ends the receives still waiting, if the client can (the official one cannot: they run out their long poll). */
  stopReceiving(): void;
  close(): Promise<void>;
}

const LATENCY_GROUP = 'bench-latency-group';
const RECEIVE_BATCH = 32;

/** Raw gRPC: one message per SendMessage; ReceiveMessage (5 s long poll) + one AckMessage per batch. */
function rawLatencyClient(broker: BrokerChild, topic: string, transport: RawTransportKind): LatencyClient {
  const client = new RawBenchClient(broker.grpcEndpoint, { transport });
  const factory = new ProtoMessageFactory(topic, 1);
  return {
    describe: `raw gRPC on ${transport}: SendMessage (1 message per request), paced -> ReceiveMessage long polls + one AckMessage per batch`,
    send: (body) => client.send([{ ...factory.next(), body }]),
    receive: async () => {
      const messages = await client.receive(topic, LATENCY_GROUP, RECEIVE_BATCH, 5_000);
      return { bodies: messages.map((m) => m.body!), ack: () => (messages.length > 0 ? client.ack(topic, LATENCY_GROUP, messages) : Promise.resolve()) };
    },
    stopReceiving: () => client.cancelReceives(),
    close: async () => client.close(),
  };
}

/** The official clients: Producer.send; SimpleConsumer.receive(32) + ack() per message. */
async function officialLatencyClient(broker: BrokerChild, topic: string): Promise<LatencyClient> {
  const clients = new OfficialClients(broker.grpcEndpoint);
  try {
    const producer: Producer = await withTimeout(clients.producer({ topics: [topic] }), CLIENT_START_TIMEOUT_MS, 'official Producer start');
    const consumer: SimpleConsumer = await withTimeout(
      clients.simpleConsumer({ consumerGroup: LATENCY_GROUP, subscriptions: new Map([[topic, '*']]), awaitDuration: 5_000 }),
      CLIENT_START_TIMEOUT_MS,
      'official SimpleConsumer start',
    );
    return {
      describe: 'official Producer.send, paced -> SimpleConsumer receive(32) long polls + ack() per message',
      send: (body) => producer.send({ topic, tag: 'TagA', body }),
      receive: async () => {
        const views: MessageView[] = await consumer.receive(RECEIVE_BATCH, 60_000);
        return { bodies: views.map((v) => v.body), ack: () => Promise.all(views.map((v) => consumer.ack(v))) };
      },
      stopReceiving: () => undefined,
      close: () => clients.shutdownAll(),
    };
  } catch (error) {
    await clients.shutdownAll();
    throw error;
  }
}

/** The broker's runtime figures from GET /metrics (prom-client's Node defaults, which main.ts registers). */
interface BrokerRuntime {
  lagP99Ms: number;
  lagMaxMs: number;
  majorGcCount: number;
  majorGcSeconds: number;
}

/** Reads them; prom-client resets its event-loop histogram at each read, so a read also starts a window. */
async function readBrokerRuntime(broker: BrokerChild): Promise<BrokerRuntime> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  // A series not exported yet (no major GC so far) counts as 0.
  const value = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) : 0;
  };
  return {
    lagP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    majorGcCount: value('nodejs_gc_duration_seconds_count{kind="major"}'),
    majorGcSeconds: value('nodejs_gc_duration_seconds_sum{kind="major"}'),
  };
}

/** Offsets in each body: the send time (performance.now() of this process) and the sequence number. */
const SENT_AT_OFFSET = 0;
const SEQUENCE_OFFSET = 8;
/** A send not answered while this many are outstanding is skipped (counted), so the pacer never piles up. */
const MAX_OUTSTANDING_SENDS = 2_000;
/** After the last send, how long to wait for stragglers. */
const TAIL_WAIT_MS = 5_000;

/**
 * 5. A pacer sends one message at a time, as many as are due at the fixed rate, checked every
 * ~1 ms; `receivers` long-polling receives are kept waiting and acknowledge what they get. The
 * latency of a message is its receive time minus its send time, both on this process's clock
 * (performance.now() written into the body before the send). The warm-up's messages are not counted.
 */
export async function measureLatency(broker: BrokerChild, topic: string, limits: LatencyLimits): Promise<LatencyFigures> {
  const { ratePerSecond, warmupMs, measureMs, receivers } = limits;
  const client = limits.client === 'raw' ? rawLatencyClient(broker, topic, limits.rawTransport) : await officialLatencyClient(broker, topic);
  console.log(
    `\n== 5. End-to-end latency at ${count(ratePerSecond)} msgs/s for ${measureMs / 1000} s (after ${warmupMs / 1000} s warm-up), ${receivers} receives in flight ==`,
  );
  console.log(client.describe);
  const total = Math.round((ratePerSecond * (warmupMs + measureMs)) / 1000);
  const firstMeasured = Math.round((ratePerSecond * warmupMs) / 1000);
  const latencies = new Float64Array(total).fill(Number.NaN);
  const sendTimes = new Float64Array(total).fill(Number.NaN);
  const template = randomBytes(BODY_BYTES);
  let received = 0;
  let duplicates = 0;
  let stopReceiving = false;
  let meter: CpuMeter | undefined;
  let runtimeAtStart: Promise<BrokerRuntime> | undefined;
  let benchLoop: IntervalHistogram | undefined;
  try {
    let pendingAcks = 0;
    const receiveLoop = async (): Promise<void> => {
      while (!stopReceiving) {
        const batch = await client.receive().catch(() => ({ bodies: [] as Buffer[], ack: () => Promise.resolve() }));
        const receivedAt = performance.now();
        for (const body of batch.bodies) {
          const sequence = body.readUInt32LE(SEQUENCE_OFFSET);
          if (sequence < total && Number.isNaN(latencies[sequence])) {
            latencies[sequence] = receivedAt - body.readDoubleLE(SENT_AT_OFFSET);
            received++;
          } else {
            duplicates++;
          }
        }
        if (batch.bodies.length > 0) {
          pendingAcks++;
          void batch.ack().then(
            () => pendingAcks--,
            () => pendingAcks--,
          );
        }
      }
    };
    const loops = Array.from({ length: receivers }, receiveLoop);
    await sleep(200); // let the long polls reach the broker before the first send

    let sent = 0;
    let outstanding = 0;
    let skipped = 0;
    const startedAt = performance.now();
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) * ratePerSecond) / 1000));
      while (sent < due) {
        const sequence = sent++;
        if (sequence === firstMeasured) {
          meter = new CpuMeter(broker.process);
          runtimeAtStart = readBrokerRuntime(broker);
          benchLoop = monitorEventLoopDelay({ resolution: 10 });
          benchLoop.enable();
        }
        if (outstanding >= MAX_OUTSTANDING_SENDS) {
          skipped++;
          continue;
        }
        const body = Buffer.allocUnsafe(BODY_BYTES);
        template.copy(body);
        const sentAt = performance.now();
        body.writeDoubleLE(sentAt, SENT_AT_OFFSET);
        body.writeUInt32LE(sequence, SEQUENCE_OFFSET);
        outstanding++;
        client.send(body).then(
          () => {
            outstanding--;
            sendTimes[sequence] = performance.now() - sentAt;
          },
          () => {
            outstanding--;
            skipped++;
          },
        );
      }
      await sleep(1);
    }
    const cpu = meter!.stop();
    benchLoop!.disable();
    const [runtimeBefore, runtimeAfter] = [await runtimeAtStart!, await readBrokerRuntime(broker)];
    const majorGcs = runtimeAfter.majorGcCount - runtimeBefore.majorGcCount;
    const tailDeadline = performance.now() + TAIL_WAIT_MS;
    while (received < total - skipped && performance.now() < tailDeadline) await sleep(10);
    stopReceiving = true;
    client.stopReceiving();
    await Promise.all(loops);
    const ackDeadline = performance.now() + TAIL_WAIT_MS;
    while (pendingAcks > 0 && performance.now() < ackDeadline) await sleep(10);

    const measured = Array.from(latencies.subarray(firstMeasured))
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
    const warmup = Array.from(latencies.subarray(0, firstMeasured))
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
    const sendRtts = Array.from(sendTimes.subarray(firstMeasured))
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
    const figures: LatencyFigures = {
      client: limits.client,
      ratePerSecond,
      sent: total - firstMeasured,
      measured: measured.length,
      lost: total - firstMeasured - measured.length,
      p50Ms: percentile(measured, 50),
      p99Ms: percentile(measured, 99),
      maxMs: measured.length > 0 ? measured[measured.length - 1] : Number.NaN,
      sendP50Ms: percentile(sendRtts, 50),
      sendP99Ms: percentile(sendRtts, 99),
      warmupP99Ms: percentile(warmup, 99),
      warmupMaxMs: warmup.length > 0 ? warmup[warmup.length - 1] : Number.NaN,
      loopDelay: {
        brokerP99Ms: runtimeAfter.lagP99Ms,
        brokerMaxMs: runtimeAfter.lagMaxMs,
        benchP99Ms: benchLoop!.percentile(99) / 1e6,
        benchMaxMs: benchLoop!.max / 1e6,
      },
      brokerMajorGc: { count: majorGcs, meanMs: majorGcs > 0 ? ((runtimeAfter.majorGcSeconds - runtimeBefore.majorGcSeconds) * 1000) / majorGcs : 0 },
      serverCpuPct: cpu.serverPct,
      benchCpuPct: cpu.benchPct,
    };
    console.log(
      `send -> receive: p50 ${fixed(figures.p50Ms, 2)} ms, p99 ${fixed(figures.p99Ms, 2)} ms, max ${fixed(figures.maxMs, 2)} ms ` +
        `over ${count(figures.measured)} messages (${count(figures.lost)} of ${count(figures.sent)} not received, ${skipped} sends skipped or failed, ${duplicates} duplicates)`,
    );
    console.log(`send round trip (until the SendMessage answer): p50 ${fixed(figures.sendP50Ms, 2)} ms, p99 ${fixed(figures.sendP99Ms, 2)} ms; ${cpu.text}`);
    console.log(
      `warm-up (${count(warmup.length)} messages, not counted above): p99 ${fixed(figures.warmupP99Ms, 2)} ms, max ${fixed(figures.warmupMaxMs, 2)} ms`,
    );
    const { loopDelay, brokerMajorGc } = figures;
    console.log(
      `event-loop delay while sending, p99 / max: broker ${fixed(loopDelay.brokerP99Ms, 0)} / ${fixed(loopDelay.brokerMaxMs, 0)} ms, ` +
        `bench process ${fixed(loopDelay.benchP99Ms, 0)} / ${fixed(loopDelay.benchMaxMs, 0)} ms; ` +
        `broker major GCs: ${brokerMajorGc.count}, ${fixed(brokerMajorGc.meanMs, 1)} ms each on average (GET /metrics)`,
    );
    return figures;
  } finally {
    stopReceiving = true;
    await client.close();
  }
}

export interface RssFigures {
  stored: number;
  fill: Rate;
  rssAfterMb: number;
  rssSettledMb: number;
  peakMb: number;
  idleRssMb: number;
}

/** 6. A fresh broker stores `total` messages (batched raw SendMessage); then its VmRSS is read. */
export async function measureRss(broker: BrokerChild, topic: string, queues: number, total: number): Promise<RssFigures> {
  console.log(`\n== 6. Broker RSS after ${count(total)} stored ${BODY_BYTES} B messages (fresh broker child, pid ${broker.process.pid}) ==`);
  const idleRssMb = broker.process.statusMb('VmRSS');
  const fill = await fillTopic(broker, topic, queues, total, 10 * 60_000);
  const rssAfterMb = broker.process.statusMb('VmRSS');
  await sleep(3_000);
  const rssSettledMb = broker.process.statusMb('VmRSS');
  const peakMb = broker.process.statusMb('VmHWM');
  console.log(
    `stored ${count(fill.operations)} messages at ${count(fill.perSecond)} msgs/s (32 msgs/request x 8 in flight, ${fixed(fill.serverCpuPct, 0)}% broker cpu)`,
  );
  console.log(
    `VmRSS: ${fixed(idleRssMb, 0)} MB idle before, ${fixed(rssAfterMb, 0)} MB right after the last send, ${fixed(rssSettledMb, 0)} MB 3 s later; ` +
      `VmHWM (peak) ${fixed(peakMb, 0)} MB`,
  );
  return { stored: fill.operations, fill, rssAfterMb, rssSettledMb, peakMb, idleRssMb };
}
