import { randomUUID } from 'node:crypto';
import { ClientDuplexStream } from '@grpc/grpc-js';
import { ReceiveMessageResponse, SendMessageResponse, TelemetryCommand } from '../../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from '../support/broker-harness';
import { RawMessagingClient } from '../support/raw-messaging-client';
import { FuzzGrpcClient } from './fuzz-grpc-client';
import { FuzzPools } from './fuzz-pools';

/** Topic and group only the liveness probe uses, never in the pools, so fuzzing cannot break them. */
const PROBE_TOPIC = 'fuzz-probe';
const PROBE_GROUP = 'fuzz-probe-group';
/** How long /health and the probe's send and receive may take before the broker counts as hung. */
export const LIVENESS_DEADLINE_MS = 8_000;

/** The stored state a rejected request must leave alone, as the admin API shows it. */
export interface StoredState {
  topics: unknown;
  queues: unknown;
  groups: unknown;
  offsets: unknown;
  transactions: unknown;
}

/**
 * A live broker for the fuzzer, seeded with the things requests name: topics of every message
 * type, a read-only topic, consumer groups with in-flight messages (real receipt handles), a
 * pending transaction, and clients that sent producer or consumer Settings on a telemetry stream.
 */
export class FuzzBroker {
  readonly pools = new FuzzPools();
  readonly grpc: FuzzGrpcClient;
  private readonly raw: RawMessagingClient;
  private readonly telemetryClients: { client: RawMessagingClient; stream: ClientDuplexStream<TelemetryCommand, TelemetryCommand> }[] = [];

  private constructor(readonly broker: TestBroker) {
    this.grpc = new FuzzGrpcClient(broker.grpcEndpoint);
    this.raw = new RawMessagingClient(broker.grpcEndpoint, 'fuzz-probe-client');
  }

  static async start(): Promise<FuzzBroker> {
    const broker = await startTestBroker(
      { autoCreateTopicEnable: true },
      { messaging: { minLongPollingTimeoutMs: 50, maxLongPollingTimeoutMs: 400, settingsRepeatDelayMs: 0 } },
    );
    const fuzz = new FuzzBroker(broker);
    try {
      await fuzz.seed();
    } catch (error) {
      await fuzz.stop();
      throw error;
    }
    return fuzz;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.broker.httpPort}`;
  }

  async stop(): Promise<void> {
    for (const { client, stream } of this.telemetryClients) {
      stream.cancel();
      client.close();
    }
    this.grpc.close();
    this.raw.close();
    await this.broker.stop();
  }

  /** The broker answers /health and a send followed by a receive of that message, within the deadline. */
  async livenessProblem(): Promise<string | undefined> {
    const deadline = Date.now() + LIVENESS_DEADLINE_MS;
    try {
      const health = await fetch(`${this.adminUrl}/health`, { signal: AbortSignal.timeout(LIVENESS_DEADLINE_MS) });
      if (health.status !== 200) return `GET /health answered ${health.status}: ${await health.text()}`;
      const messageId = randomUUID();
      const sent = await this.raw.unary<SendMessageResponse>(
        'SendMessage',
        { messages: [{ topic: { name: PROBE_TOPIC }, body: Buffer.from('probe'), systemProperties: { messageId, messageType: 'NORMAL', queueId: 0 } }] },
        { deadlineMs: LIVENESS_DEADLINE_MS },
      );
      if (sent.status.code !== 'OK') return `probe send answered ${JSON.stringify(sent.status)}`;
      while (Date.now() < deadline) {
        const frames = await this.receive(PROBE_TOPIC, PROBE_GROUP, deadline - Date.now());
        const received = frames.flatMap((frame) => ('message' in frame ? [frame.message] : []));
        if (received.length > 0) await this.ack(PROBE_TOPIC, PROBE_GROUP, received);
        if (received.some((message) => message.systemProperties?.messageId === messageId)) return undefined;
      }
      return `the probe message was not received within ${LIVENESS_DEADLINE_MS} ms`;
    } catch (error) {
      return `liveness check failed: ${String(error)}`;
    }
  }

  /** Topics, queue offsets, groups, committed offsets and unresolved transactions, from the admin API. */
  async storedState(): Promise<StoredState> {
    const topicList = (await this.getJson('/topics')) as { topics: { name: string }[] };
    const names = topicList.topics
      .map((topic) => topic.name)
      .filter((name) => name !== PROBE_TOPIC)
      .sort();
    const queues: Record<string, unknown> = {};
    const groupList = (await this.getJson('/groups')) as { groups: { group: string }[] };
    const groups = groupList.groups
      .map((group) => group.group)
      .filter((group) => group !== PROBE_GROUP)
      .sort();
    const offsets: Record<string, unknown> = {};
    const [transactions] = await Promise.all([
      this.getJson('/transactions?max=1024') as Promise<{ transactions: { transactionId: string; state: string }[] }>,
      ...names
        .filter((topic) => this.pools.topics.includes(topic))
        .map(async (name) => {
          queues[name] = ((await this.getJson(`/topics/${encodeURIComponent(name)}`)) as { queues: unknown }).queues;
        }),
      ...groups
        .filter((name) => this.pools.groups.includes(name))
        .map(async (group) => {
          const detail = (await this.getJson(`/groups/${encodeURIComponent(group)}`)) as {
            progress: { topic: string; queueId: number; consumerOffset: number }[];
          };
          offsets[group] = detail.progress.map(({ topic, queueId, consumerOffset }) => ({ topic, queueId, consumerOffset }));
        }),
    ]);
    return {
      topics: topicList.topics.filter((topic) => topic.name !== PROBE_TOPIC),
      queues,
      groups,
      offsets,
      transactions: transactions.transactions.map(({ transactionId, state }) => ({ transactionId, state })),
    };
  }

  private async getJson(path: string): Promise<unknown> {
    const response = await fetch(`${this.adminUrl}${path}`, { signal: AbortSignal.timeout(LIVENESS_DEADLINE_MS) });
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  }

  private async seed(): Promise<void> {
    const { topics } = this.broker.broker;
    await topics.upsert({ name: 'fuzz-normal', readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'fuzz-fifo', readQueueNums: 1, writeQueueNums: 1, messageType: 'FIFO' });
    await topics.upsert({ name: 'fuzz-delay', readQueueNums: 1, writeQueueNums: 1, messageType: 'DELAY' });
    await topics.upsert({ name: 'fuzz-tx', readQueueNums: 1, writeQueueNums: 1, messageType: 'TRANSACTION' });
    await topics.upsert({ name: 'fuzz-readonly', readQueueNums: 1, writeQueueNums: 1, perm: 4 });
    await topics.upsert({ name: PROBE_TOPIC, readQueueNums: 1, writeQueueNums: 1 });
    this.pools.topics.push(
      'fuzz-normal',
      'fuzz-fifo',
      'fuzz-delay',
      'fuzz-tx',
      'fuzz-readonly',
      'fuzz-missing',
      'TRANS_CHECK_MAX_TIME_TOPIC',
      '%DLQ%fuzz-group',
    );
    this.pools.groups.push('fuzz-group', 'fuzz-puller', 'fuzz-new-group', 'CID_RMQ_SYS_fuzz');
    this.pools.clientIds.push('fuzz-producer', 'fuzz-consumer', 'fuzz-no-settings');

    await this.openTelemetry('fuzz-producer', { clientType: 'PRODUCER', publishing: { topics: [{ name: 'fuzz-tx' }] } });
    await this.openTelemetry('fuzz-consumer', {
      clientType: 'SIMPLE_CONSUMER',
      subscription: { group: { name: 'fuzz-group' }, subscriptions: [{ topic: { name: 'fuzz-normal' }, expression: { type: 'TAG', expression: '*' } }] },
    });
    for (let i = 0; i < 6; i++) await this.send('fuzz-normal', { queueId: i % 2, tag: i % 2 ? 'TagA' : 'TagB', keys: ['k1'] });
    await this.send('fuzz-fifo', { messageType: 'FIFO', messageGroup: 'g1' });
    const half = await this.send('fuzz-tx', { messageType: 'TRANSACTION', orphanedTransactionRecoveryDuration: { seconds: 3600 } });
    if (half.transactionId) this.pools.transactionIds.push(half.transactionId);
    // Messages received and never acked keep real receipt handles alive for the whole run.
    const frames = await this.receive('fuzz-normal', 'fuzz-group', 2_000, 3, { seconds: 3600 });
    for (const frame of frames) {
      if ('message' in frame && frame.message.systemProperties?.receiptHandle) this.pools.receiptHandles.push(frame.message.systemProperties.receiptHandle);
    }
    // The probe group exists before the first probe message is sent.
    await this.receive(PROBE_TOPIC, PROBE_GROUP, 1_000);
  }

  private async send(topic: string, systemProperties: Record<string, unknown>): Promise<{ transactionId?: string }> {
    const messageId = randomUUID();
    this.pools.messageIds.push(messageId);
    const response = await this.raw.unary<SendMessageResponse>('SendMessage', {
      messages: [
        {
          topic: { name: topic },
          body: Buffer.from(`seed ${messageId}`),
          systemProperties: { messageId, messageType: 'NORMAL', queueId: 0, ...systemProperties },
        },
      ],
    });
    if (response.status.code !== 'OK') throw new Error(`fuzz seed: send to ${topic} answered ${JSON.stringify(response.status)}`);
    return response.entries?.[0] ?? {};
  }

  private receive(topic: string, group: string, withinMs: number, batchSize = 32, invisibleDuration = { seconds: 15 }): Promise<ReceiveMessageResponse[]> {
    return this.raw.stream<ReceiveMessageResponse>(
      'ReceiveMessage',
      {
        group: { name: group },
        messageQueue: { topic: { name: topic }, id: 0, broker: { name: 'broker-a' } },
        filterExpression: { type: 'TAG', expression: '*' },
        batchSize,
        invisibleDuration,
        longPollingTimeout: { nanos: 300_000_000 },
      },
      { deadlineMs: Math.max(withinMs, 1_000) },
    );
  }

  private async ack(topic: string, group: string, messages: { systemProperties?: { messageId?: string; receiptHandle?: string } }[]): Promise<void> {
    const entries = messages.map((message) => ({ messageId: message.systemProperties?.messageId, receiptHandle: message.systemProperties?.receiptHandle }));
    await this.raw.unary('AckMessage', { group: { name: group }, topic: { name: topic }, entries }, { deadlineMs: LIVENESS_DEADLINE_MS });
  }

  /** Opens a telemetry stream for `clientId`, sends its Settings and waits for the answer. */
  private openTelemetry(clientId: string, settings: Record<string, unknown>): Promise<void> {
    const client = new RawMessagingClient(this.broker.grpcEndpoint, clientId);
    const stream = client.telemetry();
    this.telemetryClients.push({ client, stream });
    return new Promise((resolve, reject) => {
      stream.once('data', (command: TelemetryCommand) =>
        command.status?.code === 'OK' ? resolve() : reject(new Error(`fuzz seed: settings of ${clientId}: ${JSON.stringify(command.status)}`)),
      );
      stream.on('error', () => undefined);
      stream.write({ settings: { requestTimeout: { seconds: 3 }, ...settings } });
    });
  }
}
