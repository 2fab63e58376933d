/**
 * Transaction case of the broker benchmark.
 *
 * T1. Throughput, end to end, normal beside transactional, same raw gRPC client and concurrency:
 *     `TX_CONCURRENCY` workers each send one message and wait until a receiver got it (a closed
 *     loop from send to consume, so the backlog, and the latency, stay bounded). Normal: one
 *     SendMessage. Transactional: SendMessage of a TRANSACTION (half) message + EndTransaction
 *     (COMMIT). Receivers: raw ReceiveMessage(32) long polls + one AckMessage per batch. Latency
 *     of a message: from the start of its send to its arrival at a receiver. The two variants are
 *     measured in alternating rounds, so a change of machine load mid-run hits both alike.
 * T2. Check-back after a producer crash: a broker child with short transaction settings (a
 *     broker.conf); a producer child process (the official client,
 *     test/support/transaction-producer-child.ts) sends a half message and is SIGKILLed; a
 *     producer of the topic in this process answers the check-back with COMMIT; a raw receiver
 *     gets the message. Latency: delivery time - kill time (Date.now() of this process).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Client, credentials, Metadata, MethodDefinition } from '@grpc/grpc-js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MessageView, Producer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { EndTransactionResponse, Message, SendMessageResponse } from '../src/grpc/messaging.types';
import { loadMessagingService } from '../src/grpc/proto-loader';
import { CLIENT_START_TIMEOUT_MS, ProtoMessageFactory, RawBenchClient } from './broker-bench-clients';
import {
  BenchBuild,
  childEnv,
  BrokerBenchChild as BrokerChild,
  startBrokerChild,
  count,
  CpuMeter,
  fixed,
  OfficialClients,
  percentile,
  REPO_ROOT,
  runClosedLoop,
  sleep,
  withTimeout,
} from '@app/testkit';

/** Messages in flight between send start and consume, in both variants (the producer case's c=64). */
export const TX_CONCURRENCY = 64;
const RECEIVERS = 8;
const RECEIVE_BATCH = 32;
const LONG_POLL_MS = 2_000;
/** A message not consumed this long after its send is counted lost (the worker moves on). */
const CONSUME_TIMEOUT_MS = 15_000;
/** Sources the producer child needs (transpiled into the bench build). */
export const TRANSACTION_CHILD_SOURCES = ['test/support/transaction-producer-child.ts'];

export interface TransactionLimits {
  warmupMs: number;
  loopMs: number;
  /** Check-back repetitions (each a fresh producer child, killed). */
  checkBackRuns: number;
  checkBack: { transactionTimeoutMs: number; transactionCheckIntervalMs: number };
}

export interface E2eRate {
  label: string;
  perSecond: number;
  consumed: number;
  lost: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  benchCpuPct: number;
}

export interface TransactionThroughputFigures {
  normal: E2eRate;
  transactional: E2eRate;
}

export interface CheckBackFigures {
  transactionTimeoutMs: number;
  transactionCheckIntervalMs: number;
  checkScanIntervalMs: number;
  /** Kill -> delivery, per run (NaN when the message never came). */
  latenciesMs: number[];
  /** Kill -> the check-back reached the surviving producer, per run. */
  checkAfterKillMs: number[];
}

/** Raw unary calls with the answers the benchmark needs (the transaction id of a send). */
class RawTxClient {
  private readonly client: Client;
  private readonly service = loadMessagingService();
  private readonly clientId = `bench-tx-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(endpoint: string) {
    // Same target and options as RawBenchClient: grpc-js shares the one HTTP/2 connection.
    this.client = new Client(endpoint, credentials.createInsecure(), {});
  }

  private unary<Response>(method: string, request: object): Promise<Response> {
    const definition = this.service[method] as MethodDefinition<object, object>;
    const metadata = new Metadata();
    metadata.set('x-mq-client-id', this.clientId);
    metadata.set('x-mq-protocol', 'v2');
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        metadata,
        { deadline: Date.now() + 30_000 },
        (error, response) => (error ? reject(error) : resolve(response as Response)),
      );
    });
  }

  /** SendMessage of one message; resolves with its transaction id (undefined for a normal message). */
  async sendOne(message: Message): Promise<string | undefined> {
    const response = await this.unary<SendMessageResponse>('SendMessage', { messages: [message] });
    const entry = response.entries?.[0];
    if (response.status.code !== 'OK' || !entry || entry.status.code !== 'OK')
      throw new Error(`SendMessage: ${JSON.stringify(response.status)} ${JSON.stringify(entry?.status)}`);
    return entry.transactionId;
  }

  async commit(topic: string, messageId: string, transactionId: string): Promise<void> {
    const response = await this.unary<EndTransactionResponse>('EndTransaction', {
      topic: { name: topic },
      messageId,
      transactionId,
      resolution: 'COMMIT',
      source: 'SOURCE_CLIENT',
    });
    if (response.status.code !== 'OK') throw new Error(`EndTransaction: ${JSON.stringify(response.status)}`);
  }

  close(): void {
    this.client.close();
  }
}

/** Creates or updates a topic with a message type through the admin API (PUT /topics/:name). */
export async function upsertTypedTopic(broker: BrokerChild, name: string, queues: number, messageType: 'NORMAL' | 'TRANSACTION'): Promise<void> {
  const response = await fetch(`${broker.adminUrl}/topics/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readQueueNums: queues, writeQueueNums: queues, messageType }),
  });
  if (!response.ok) throw new Error(`PUT /topics/${name}: ${response.status} ${await response.text()}`);
}

/** Receivers that resolve a waiter per message id when the message arrives. */
class ConsumeTracker {
  private readonly waiters = new Map<string, (at: number) => void>();
  private stopped = false;
  private loops: Array<Promise<void>> = [];
  duplicatesOrStrays = 0;

  constructor(
    private readonly client: RawBenchClient,
    private readonly topic: string,
    private readonly group: string,
  ) {}

  start(receivers: number): void {
    this.loops = Array.from({ length: receivers }, () => this.loop());
  }

  /** Call before sending: resolves with performance.now() at arrival, or NaN after `timeoutMs`. */
  expect(messageId: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(messageId);
        resolve(Number.NaN);
      }, timeoutMs);
      this.waiters.set(messageId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let messages: Message[];
      try {
        messages = await this.client.receive(this.topic, this.group, RECEIVE_BATCH, LONG_POLL_MS);
      } catch {
        if (!this.stopped) await sleep(50);
        continue;
      }
      const at = performance.now();
      for (const m of messages) {
        const id = m.systemProperties!.messageId ?? '';
        const waiter = this.waiters.get(id);
        if (waiter) {
          this.waiters.delete(id);
          waiter(at);
        } else {
          this.duplicatesOrStrays++;
        }
      }
      if (messages.length > 0) void this.client.ack(this.topic, this.group, messages).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.client.cancelReceives();
    await Promise.all(this.loops);
  }
}

/** Measured rounds per variant: normal and transactional alternate, so a change of machine load hits both alike. */
const ROUNDS = 5;

/** One variant's client side: sender, receivers, and what its measured windows collected. */
class E2eSession {
  readonly label: string;
  private readonly receiveClient: RawBenchClient;
  private readonly sender: RawTxClient;
  private readonly tracker: ConsumeTracker;
  private readonly factory: ProtoMessageFactory;
  private latencies: number[] = [];
  private lost = 0;
  private consumed = 0;
  private elapsedMs = 0;
  private serverCpuMs = 0;
  private benchCpuMs = 0;

  constructor(
    private readonly broker: BrokerChild,
    private readonly topic: string,
    queues: number,
    private readonly transactional: boolean,
  ) {
    this.label = transactional
      ? `transactional: SendMessage(TRANSACTION) + EndTransaction(COMMIT) + consume, ${TX_CONCURRENCY} in flight`
      : `normal: SendMessage x1 + consume, ${TX_CONCURRENCY} in flight`;
    this.receiveClient = new RawBenchClient(broker.grpcEndpoint);
    this.sender = new RawTxClient(broker.grpcEndpoint);
    this.tracker = new ConsumeTracker(this.receiveClient, topic, `bench-tx-${transactional ? 'half' : 'normal'}-group`);
    this.factory = new ProtoMessageFactory(topic, queues);
    this.tracker.start(RECEIVERS);
  }

  private readonly operation = async (): Promise<number> => {
    const message = this.factory.next();
    if (this.transactional) message.systemProperties!.messageType = 'TRANSACTION';
    const messageId = message.systemProperties!.messageId!;
    const startedAt = performance.now();
    const consumed = this.tracker.expect(messageId, CONSUME_TIMEOUT_MS);
    const transactionId = await this.sender.sendOne(message);
    if (this.transactional) {
      if (!transactionId) throw new Error('SendMessage of a TRANSACTION message answered no transaction id');
      await this.sender.commit(this.topic, messageId, transactionId);
    }
    const at = await consumed;
    if (Number.isNaN(at)) {
      this.lost++;
      return 0;
    }
    this.latencies.push(at - startedAt);
    return 1;
  };

  async warmUp(ms: number): Promise<void> {
    await runClosedLoop({ concurrency: TX_CONCURRENCY, maxOperations: 10_000_000, maxMs: ms }, this.operation);
    this.latencies = [];
    this.lost = 0;
  }

  async measure(ms: number): Promise<void> {
    const meter = new CpuMeter(this.broker.process);
    const loop = await runClosedLoop({ concurrency: TX_CONCURRENCY, maxOperations: 10_000_000, maxMs: ms }, this.operation);
    const cpu = meter.stop();
    this.consumed += loop.bytes;
    this.elapsedMs += loop.elapsedMs;
    this.serverCpuMs += (cpu.serverPct / 100) * loop.elapsedMs;
    this.benchCpuMs += (cpu.benchPct / 100) * loop.elapsedMs;
  }

  figures(): E2eRate {
    const sorted = this.latencies.sort((a, b) => a - b);
    const rate: E2eRate = {
      label: this.label,
      perSecond: (this.consumed / this.elapsedMs) * 1000,
      consumed: this.consumed,
      lost: this.lost,
      elapsedMs: this.elapsedMs,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      serverCpuPct: (this.serverCpuMs / this.elapsedMs) * 100,
      benchCpuPct: (this.benchCpuMs / this.elapsedMs) * 100,
    };
    const us = (pct: number) => fixed((pct / 100 / rate.perSecond) * 1e6, 0);
    console.log(
      `${this.label}: ${count(rate.perSecond)} msgs/s (${count(rate.consumed)} consumed in ${fixed(rate.elapsedMs, 0)} ms over ${ROUNDS} rounds, ${rate.lost} lost, ${this.tracker.duplicatesOrStrays} duplicates/strays); ` +
        `send start -> consumed p50 ${fixed(rate.p50Ms, 2)} ms, p99 ${fixed(rate.p99Ms, 2)} ms; broker cpu ${fixed(rate.serverCpuPct, 0)}%, bench process cpu ${fixed(rate.benchCpuPct, 0)}%; ` +
        `cpu per msg: broker ${us(rate.serverCpuPct)} us, bench ${us(rate.benchCpuPct)} us`,
    );
    return rate;
  }

  async close(): Promise<void> {
    await this.tracker.stop();
    this.sender.close();
    this.receiveClient.close();
  }
}

/** T1: normal and transactional, end to end, on the main broker child, in alternating rounds. */
export async function measureTransactionThroughput(
  broker: BrokerChild,
  topics: { normal: string; transactional: string },
  queues: number,
  limits: TransactionLimits,
): Promise<TransactionThroughputFigures> {
  console.log(
    `\n== T1. Transactional vs normal throughput, end to end (send start -> consumed), raw gRPC, ${TX_CONCURRENCY} messages in flight, ${RECEIVERS} receives(${RECEIVE_BATCH}) + batch ack; ` +
      `${ROUNDS} alternating rounds of ${fixed(limits.loopMs / ROUNDS / 1000, 1)} s each ==`,
  );
  await upsertTypedTopic(broker, topics.normal, queues, 'NORMAL');
  await upsertTypedTopic(broker, topics.transactional, queues, 'TRANSACTION');
  const normal = new E2eSession(broker, topics.normal, queues, false);
  const transactional = new E2eSession(broker, topics.transactional, queues, true);
  try {
    await sleep(200); // let the long polls reach the broker
    await normal.warmUp(limits.warmupMs);
    await transactional.warmUp(limits.warmupMs);
    for (let round = 0; round < ROUNDS; round++) {
      await normal.measure(limits.loopMs / ROUNDS);
      await transactional.measure(limits.loopMs / ROUNDS);
    }
    const figures = { normal: normal.figures(), transactional: transactional.figures() };
    console.log(`transactional / normal: ${fixed((figures.transactional.perSecond / figures.normal.perSecond) * 100, 0)}%`);
    return figures;
  } finally {
    await normal.close();
    await transactional.close();
  }
}

/** The broker CLI with a broker.conf (the transaction settings under test), on free loopback ports. */
function startConfiguredBroker(build: BenchBuild, name: string, storeDir: string, confFile: string): Promise<BrokerChild> {
  return startBrokerChild(build, { name, storeDir, configFile: confFile });
}

/** Producer children not yet reaped (killed at the end whatever happens). */
const producerChildren = new Set<ChildProcess>();

export function killProducerChildren(): void {
  for (const child of producerChildren) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts the official-client producer child; resolves once its half message was acknowledged. */
async function startHalfSendingChild(
  build: BenchBuild,
  endpoint: string,
  topic: string,
  body: string,
): Promise<{ child: ChildProcess; messageId: string; transactionId: string }> {
  const child = spawn(process.execPath, [build.script('test/support/transaction-producer-child.ts'), endpoint, topic, body], {
    cwd: REPO_ROOT,
    env: childEnv(build.outDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  producerChildren.add(child);
  child.on('exit', () => producerChildren.delete(child));
  const sent = new Promise<{ messageId: string; transactionId: string }>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^sent (\S+) (\S+)$/m.exec(stdout);
      if (match) resolve({ messageId: match[1], transactionId: match[2] });
    });
    child.on('exit', (code, signal) => reject(new Error(`producer child exited (${code ?? signal}) before sending: ${stderr}`)));
  });
  try {
    return { child, ...(await withTimeout(sent, CLIENT_START_TIMEOUT_MS, 'producer child')) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** T2: kill -> delivery of an orphaned half message, through a check-back answered COMMIT. */
export async function measureCheckBack(build: BenchBuild, runDir: string, limits: TransactionLimits): Promise<CheckBackFigures> {
  const { transactionTimeoutMs, transactionCheckIntervalMs } = limits.checkBack;
  // The scanner's interval is not in broker.conf: the CLI broker runs with its default (1 s).
  const checkScanIntervalMs = 1_000;
  const confFile = path.join(runDir, 'broker-checkback.conf');
  await fs.writeFile(confFile, `transactionTimeOut=${transactionTimeoutMs}\ntransactionCheckInterval=${transactionCheckIntervalMs}\n`);
  const broker = await startConfiguredBroker(build, 'broker (check-back)', path.join(runDir, 'store-checkback'), confFile);
  console.log(
    `\n== T2. Check-back after a producer SIGKILL: broker child pid ${broker.process.pid} with transactionTimeOut=${transactionTimeoutMs}, ` +
      `transactionCheckInterval=${transactionCheckIntervalMs} (broker.conf), ${limits.checkBackRuns} runs ==`,
  );
  console.log(
    'producer child: official client, sends a half message, SIGKILLed; survivor: official Producer in this process, checker answers COMMIT; consumer: raw ReceiveMessage',
  );
  const topic = 'BenchTxCheckBack';
  const group = 'bench-checkback-group';
  const clients = new OfficialClients(broker.grpcEndpoint);
  const receiveClient = new RawBenchClient(broker.grpcEndpoint);
  const checks = new Map<string, number>();
  const latenciesMs: number[] = [];
  const checkAfterKillMs: number[] = [];
  let stopped = false;
  const arrivals = new Map<string, number>();
  let receiveLoop: Promise<void> | undefined;
  try {
    await upsertTypedTopic(broker, topic, 1, 'TRANSACTION');
    const survivor: Producer = await withTimeout(
      clients.producer({
        topics: [topic],
        checker: {
          check: async (view: MessageView) => {
            if (!checks.has(view.messageId)) checks.set(view.messageId, Date.now());
            return TransactionResolution.COMMIT;
          },
        },
      }),
      CLIENT_START_TIMEOUT_MS,
      'survivor Producer start',
    );
    void survivor;
    receiveLoop = (async () => {
      while (!stopped) {
        const messages = await receiveClient.receive(topic, group, 16, LONG_POLL_MS).catch(async () => {
          if (!stopped) await sleep(50);
          return [] as Message[];
        });
        const at = Date.now();
        for (const m of messages) {
          const id = m.systemProperties!.messageId ?? '';
          if (!arrivals.has(id)) arrivals.set(id, at);
        }
        if (messages.length > 0) await receiveClient.ack(topic, group, messages).catch(() => undefined);
      }
    })();
    const deadlineMs = transactionTimeoutMs + 3 * transactionCheckIntervalMs + 10_000;
    for (let run = 1; run <= limits.checkBackRuns; run++) {
      const { child, messageId } = await startHalfSendingChild(build, broker.grpcEndpoint, topic, `orphan ${run}`);
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
      const until = killedAt + deadlineMs;
      while (!arrivals.has(messageId) && Date.now() < until) await sleep(5);
      const deliveredAt = arrivals.get(messageId);
      const latency = deliveredAt === undefined ? Number.NaN : deliveredAt - killedAt;
      const checkAt = checks.get(messageId);
      latenciesMs.push(latency);
      checkAfterKillMs.push(checkAt === undefined ? Number.NaN : checkAt - killedAt);
      console.log(
        `run ${run}: kill -> delivered ${deliveredAt === undefined ? `NOT within ${deadlineMs} ms` : `${fixed(latency, 0)} ms`} ` +
          `(kill -> check-back at the survivor ${checkAt === undefined ? 'never' : `${fixed(checkAt - killedAt, 0)} ms`})`,
      );
    }
    console.log(`max kill -> delivered: ${fixed(Math.max(...latenciesMs.map((v) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v))), 0)} ms`);
  } finally {
    stopped = true;
    receiveClient.cancelReceives();
    await receiveLoop;
    receiveClient.close();
    killProducerChildren();
    await clients.shutdownAll();
    await broker.process.stop();
    await fs.rm(path.join(runDir, 'store-checkback'), { recursive: true, force: true });
  }
  return { transactionTimeoutMs, transactionCheckIntervalMs, checkScanIntervalMs, latenciesMs, checkAfterKillMs };
}
