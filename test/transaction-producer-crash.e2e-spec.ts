import { ChildProcess, spawn } from 'node:child_process';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck, RecordingChecker, TransactionResolution, waitFor } from './support/transaction-test-support';
import { buildForChildren, ChildBuild, OfficialClients } from '@app/testkit';

const TIMEOUT_MS = 1_000;
const CHECK_INTERVAL_MS = 500;

/**
 * A producer process begins a transaction, sends its half message and is killed with SIGKILL
 * before EndTransaction. Another producer of the same topic, with a checker, is asked about the
 * orphaned half message: its answer decides whether the message is delivered. The killed process
 * is never asked (its telemetry stream is gone).
 */
describe('transactions: producer killed before EndTransaction', () => {
  let build: ChildBuild;
  let broker: TestBroker;
  let clients: OfficialClients;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    build = await buildForChildren(['test/support']);
    broker = await startTestBroker(
      { transactionTimeoutMs: TIMEOUT_MS, transactionCheckIntervalMs: CHECK_INTERVAL_MS, transactionCheckMax: 20 },
      { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 }, transaction: { checkScanIntervalMs: 100 } },
    );
    for (const name of ['crash-commit', 'crash-rollback']) {
      await broker.broker.topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    }
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
    await build?.remove();
  });

  /** Runs the producer child until its half message is acknowledged, then SIGKILLs it. */
  async function sendHalfAndKill(topic: string, body: string): Promise<{ messageId: string; transactionId: string; clientCount: number }> {
    const child = spawn(process.execPath, [build.script('test/support/transaction-producer-child.ts'), broker.grpcEndpoint, topic, body], {
      env: build.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const sent = await new Promise<{ messageId: string; transactionId: string }>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^sent (\S+) (\S+)$/m.exec(stdout);
        if (match) resolve({ messageId: match[1], transactionId: match[2] });
      });
      child.on('exit', (code, signal) => reject(new Error(`producer child exited (${code ?? signal}) before sending: ${stderr}`)));
    });
    const producersBefore = liveProducersOf(topic);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return { ...sent, clientCount: producersBefore };
  }

  const liveProducersOf = (topic: string): number =>
    broker.broker.messaging.sessions.list().filter((c) => c.role === 'PRODUCER' && c.connected && c.topics.includes(topic)).length;
  const consumer = (group: string, topic: string): Promise<SimpleConsumer> =>
    clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 1_000 });

  it.each([
    ['crash-commit', TransactionResolution.COMMIT, true],
    ['crash-rollback', TransactionResolution.ROLLBACK, false],
  ] as const)(
    "on %s, the surviving producer's check answer decides",
    async (topic, answer, delivered) => {
      const orphan = await sendHalfAndKill(topic, `orphaned on ${topic}`);
      expect(orphan.clientCount).toBe(1);
      await waitFor('the killed producer to be detached', () => liveProducersOf(topic) === 0, 10_000);

      const checker = new RecordingChecker(() => answer);
      const survivor = await clients.producer({ topics: [topic], checker });
      const reader = await consumer(`${topic}-reader`, topic);
      await waitFor('the check-back', () => checker.checksOf(orphan.messageId) > 0, 15_000);
      await waitFor('the resolution', () => !broker.broker.transactions.list().some((v) => v.transactionId === orphan.transactionId), 10_000);
      expect(checker.calls[0]).toMatchObject({ messageId: orphan.messageId, topic, body: `orphaned on ${topic}` });

      const received = await receiveAndAck(reader, delivered ? 1 : 0, 10_000, 1_500);
      expect(received.map((m) => m.messageId)).toEqual(delivered ? [orphan.messageId] : []);
      expect(checker.checksOf(orphan.messageId)).toBe(1);
      await clients.shutdown(survivor);
    },
    60_000,
  );
});
