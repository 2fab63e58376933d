import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { INestApplicationContext, Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { OutboxWriter } from '@app/outbox';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createRelayTestApp } from './support/outbox-relay-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck, waitFor } from './support/transaction-test-support';
import { buildForChildren, ChildBuild, OfficialClients } from '@app/testkit';

/**
 * A relay SIGKILLed while it holds leased rows it has not sent: the rows stay pending, hidden
 * only until their lease expires, then another relay sends each of them once. Nothing is lost,
 * and nothing is sent before the lease is up (two relays never race on a live lease).
 */
const TOPIC = 'outbox-relay-crash';
const ROWS = 20;
const LEASE_MS = 3_000;

@Injectable()
class Orders {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly writer: OutboxWriter,
  ) {}

  create(id: string): Promise<void> {
    return this.txHost.withTransaction(async () => {
      await this.txHost.tx.query('INSERT INTO orders (id, item) VALUES ($1, $2)', [id, 'crash']);
      await this.writer.enqueue({ topic: TOPIC, payload: { id }, keys: [id] });
    });
  }
}

describe('outbox relay: killed while holding leased rows', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let build: ChildBuild;
  let clients: OfficialClients;
  let writerApp: INestApplicationContext | undefined;
  let survivor: INestApplicationContext | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    [database, broker, build] = await Promise.all([
      createTestDatabase(),
      startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 } }),
      buildForChildren(['test/support', 'libs/mq/src', 'libs/outbox/src']),
    ]);
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 2, writeQueueNums: 2 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await survivor?.close();
    await writerApp?.close();
    await clients?.shutdownAll();
    await broker?.stop();
    await build?.remove();
    await database?.drop();
  });

  it('leaves the rows to another relay after the lease, each sent once', async () => {
    // The business side, with no relay of its own: the rows wait in mq_outbox.
    writerApp = await createRelayTestApp({
      databaseUrl: database.url,
      endpoints: broker.grpcEndpoint,
      outbox: { relay: { enabled: false } },
      providers: [Orders],
    });
    const orders = writerApp.get(Orders);
    for (let n = 0; n < ROWS; n++) await orders.create(`c-${n}`);
    const dataSource = writerApp.get(DataSource);
    const reader = await clients.simpleConsumer({ consumerGroup: 'crash-reader', subscriptions: new Map([[TOPIC, '*']]), awaitDuration: 500 });

    child = spawn(process.execPath, [build.script('test/support/outbox-relay-child.ts'), database.url, broker.grpcEndpoint, String(LEASE_MS)], {
      env: build.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).on('line', (line) => line === 'ready' && resolve());
      child!.once('exit', (code) => reject(new Error(`relay child exited with ${code}`)));
    });
    // The child claims every row (their lease pushes available_at into the future), then waits on
    // its 2 s linger: kill it there.
    const leased = async (): Promise<number> =>
      (await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM mq_outbox WHERE status = 'pending' AND available_at > now()`))[0].n;
    await waitFor('the child relay leases every row', async () => (await leased()) === ROWS, 10_000, 20);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = undefined;
    expect((await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM mq_outbox WHERE status = 'sent'`))[0].n).toBe(0);

    survivor = await createRelayTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint, outbox: { relay: { pollIntervalMs: 100 } } });
    const received = await receiveAndAck(reader, ROWS, 20_000, 1_000);
    const firstAt = Math.min(...received.map((message) => message.bornTimestamp?.getTime() ?? Date.now()));
    expect(received.map((message) => message.keys[0]).sort()).toEqual(Array.from({ length: ROWS }, (_, n) => `c-${n}`).sort());
    // Not before the dead relay's lease ran out (its claim came just before the kill).
    expect(firstAt).toBeGreaterThanOrEqual(killedAt + LEASE_MS - 1_000);
    await waitFor(
      'every row marked sent',
      async () => (await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM mq_outbox WHERE status = 'sent'`))[0].n === ROWS,
      10_000,
    );
  }, 60_000);
});
