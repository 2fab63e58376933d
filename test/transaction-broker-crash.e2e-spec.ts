import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer, SendReceipt } from 'rocketmq-client-nodejs';
import { receiveAndAck, RecordingChecker, TransactionResolution, waitFor } from './support/transaction-test-support';
import { BrokerChild, buildForChildren, ChildBuild, freePort, OfficialClients } from '@app/testkit';

const TOPIC = 'tx-broker-crash';
/** The broker's minimum long poll (MessagingOptions default, not configurable from broker.conf). */
const LONG_POLL_MS = 5_000;

/**
 * The broker process is SIGKILLed while half messages are pending and right after others were
 * committed, then restarted on the same store directory. The pending ones must be checked back
 * after the restart (and their answers decide); the committed ones delivered exactly once; a
 * rolled-back one never.
 */
describe('transactions: broker killed with open and just-committed transactions', () => {
  let build: ChildBuild;
  let workDir: string;
  let storeDir: string;
  let grpcPort: number;
  let httpPort: number;
  const brokers: BrokerChild[] = [];
  const clientSets: OfficialClients[] = [];

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src']);
    workDir = await mkdtemp(join(tmpdir(), 'tx-broker-crash-'));
    storeDir = join(workDir, 'store');
    [grpcPort, httpPort] = [await freePort(), await freePort()];
  });

  afterAll(async () => {
    for (const clients of clientSets) await clients.shutdownAll();
    for (const broker of brokers) await broker.stop('SIGTERM');
    await rm(workDir, { recursive: true, force: true });
    await build?.remove();
  });

  /** Starts the broker on the fixed ports and store, with the given transaction settings. */
  async function startBroker(name: string, settings: Record<string, number>): Promise<BrokerChild> {
    const configFile = join(workDir, `${name}.conf`);
    await writeFile(
      configFile,
      Object.entries(settings)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
    );
    const broker = new BrokerChild(build, ['--config', configFile, '--store', storeDir, '--port', String(grpcPort), '--http-port', String(httpPort)]);
    brokers.push(broker);
    await broker.waitForLine((line) => line.msg === 'broker ready');
    return broker;
  }

  function newClients(): OfficialClients {
    const clients = new OfficialClients(`127.0.0.1:${grpcPort}`);
    clientSets.push(clients);
    return clients;
  }

  it('checks back the pending ones after the restart and delivers the committed ones exactly once', async () => {
    // First life: no check-back can happen before the kill.
    const first = await startBroker('first', { transactionTimeOut: 600_000, transactionCheckInterval: 500, transactionCheckMax: 20 });
    const put = await fetch(`http://127.0.0.1:${httpPort}/topics/${TOPIC}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 }),
    });
    expect(put.status).toBe(200);

    // The producer outlives the broker: its telemetry stream reconnects after the restart, and its
    // checker decides the transactions it left open.
    const clients = newClients();
    const checker = new RecordingChecker((call) =>
      call.body.startsWith('pending-commit')
        ? TransactionResolution.COMMIT
        : call.body.startsWith('pending-rollback')
          ? TransactionResolution.ROLLBACK
          : TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED,
    );
    const producer = await clients.producer({ topics: [TOPIC], checker });
    const send = (body: string) => sendHalf(producer, body);
    const pending = [await send('pending-commit-0'), await send('pending-commit-1'), await send('pending-rollback-2')];
    const rolledBack = await send('rolled-back');
    await rolledBack.transaction.rollback();
    const committed = [await send('committed-0'), await send('committed-1'), await send('committed-2')];
    for (const half of committed) await half.transaction.commit();
    // Killed right after the last commit was acknowledged.
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(checker.calls).toEqual([]);

    // Second life: the pending ones are long overdue.
    const second = await startBroker('second', { transactionTimeOut: 1_000, transactionCheckInterval: 500, transactionCheckMax: 20 });
    expect(second.lines.find((line) => line.msg === 'store opened')).toMatchObject({ recovery: { mode: 'crash' } });
    const listed = (await (await fetch(`http://127.0.0.1:${httpPort}/transactions`)).json()) as { transactions: Array<{ messageId: string }> };
    expect(listed.transactions.map((t) => t.messageId).sort()).toEqual(pending.map((half) => half.receipt.messageId).sort());

    await waitFor(
      'the pending transactions to be resolved by check-back',
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${httpPort}/transactions`)).json()) as { total: number };
        return body.total === 0;
      },
      30_000,
      200,
    );
    expect([...new Set(checker.calls.map((call) => call.body))].sort()).toEqual(['pending-commit-0', 'pending-commit-1', 'pending-rollback-2']);

    const reader = await clients.simpleConsumer({ consumerGroup: 'crash-reader', subscriptions: new Map([[TOPIC, '*']]), awaitDuration: LONG_POLL_MS });
    const received = await receiveAndAck(reader, 5, 30_000, LONG_POLL_MS + 1_000);
    expect(received.map((m) => m.body.toString()).sort()).toEqual(['committed-0', 'committed-1', 'committed-2', 'pending-commit-0', 'pending-commit-1']);
    const expectedIds = [...committed, pending[0], pending[1]].map((half) => half.receipt.messageId).sort();
    expect(received.map((m) => m.messageId).sort()).toEqual(expectedIds);
  }, 120_000);
});

async function sendHalf(producer: Producer, body: string): Promise<{ receipt: SendReceipt; transaction: ReturnType<Producer['beginTransaction']> }> {
  const transaction = producer.beginTransaction();
  const receipt = await producer.send({ topic: TOPIC, keys: [body], body: Buffer.from(body) }, transaction);
  return { receipt, transaction };
}
