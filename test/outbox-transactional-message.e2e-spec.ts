import { INestApplicationContext } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { OutboxError } from '@app/outbox';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { createOutboxTestApp, ORDER_TOPIC, OrderService } from './support/outbox-tx-app';
import { databaseState, orderReader, pendingHalfMessages, startOutboxBroker } from './support/outbox-tx-test-kit';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * @TransactionalMessage in half-message mode against a real broker and PostgreSQL: the message is
 * delivered iff the local transaction committed, on every path a caller can see.
 */
describe('outbox: @TransactionalMessage (half-message mode)', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let app: INestApplicationContext;
  let orders: OrderService;
  let reader: SimpleConsumer;

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startOutboxBroker();
    clients = new OfficialClients(broker.grpcEndpoint);
    app = await createOutboxTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint });
    orders = app.get(OrderService);
    reader = await orderReader(clients, 'outbox-tx-reader');
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await app?.close();
    await broker?.stop();
    await database?.drop();
  });

  it('commits: the order row, a committed mq_transaction row, and the message built from the result', async () => {
    const order = await orders.createOrder('o-commit', 'book');
    expect(order).toEqual({ id: 'o-commit', item: 'book' });

    const received = await receiveAndAck(reader, 1, 10_000, 300);
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body.toString())).toEqual({ orderId: 'o-commit', item: 'book' });
    expect(received[0].keys).toEqual(['o-commit']);
    expect(received[0].tag).toBe('created');
    const state = await databaseState(app);
    expect(state.orders).toEqual(['o-commit']);
    expect(state.decisions.get(received[0].messageId)).toBe('committed');
    expect(pendingHalfMessages(broker)).toEqual([]);
  });

  it('on an exception in the method: rolls back, sends nothing, rethrows', async () => {
    await expect(orders.createOrder('o-fail', 'pen', { fail: true })).rejects.toThrow('order o-fail failed on purpose');
    expect((await databaseState(app)).orders).not.toContain('o-fail');
    expect(pendingHalfMessages(broker)).toEqual([]);
    expect(await receiveAndAck(reader, 0, 0, 1_000)).toEqual([]);
  });

  it('on a failure after the half message was sent: rolls back locally and sends EndTransaction(ROLLBACK)', async () => {
    const failing = await createOutboxTestApp({
      databaseUrl: database.url,
      endpoints: broker.grpcEndpoint,
      outbox: {
        // The claim as a statement of its own, so that there is a point after it and before the commit.
        claimWithCommit: false,
        hooks: {
          onStep: (step) => {
            if (step === 'row-inserted') throw new Error('failure after the insert');
          },
        },
      },
    });
    try {
      await expect(failing.get(OrderService).createOrder('o-late-fail', 'cup')).rejects.toThrow('failure after the insert');
    } finally {
      await failing.close();
    }
    const state = await databaseState(app);
    expect(state.orders).not.toContain('o-late-fail');
    expect([...state.decisions.values()]).not.toContain('rolled_back');
    // Ended by the rollback right away, not by a check-back (which would leave a 'rolled_back' row).
    expect(pendingHalfMessages(broker)).toEqual([]);
    expect(await receiveAndAck(reader, 0, 0, 1_000)).toEqual([]);
  });

  it('when EndTransaction(COMMIT) is lost after the local commit: returns success and the check-back delivers', async () => {
    const lossy = await createOutboxTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint, loseCommits: true });
    try {
      const startedAt = Date.now();
      await expect(lossy.get(OrderService).createOrder('o-lost-commit', 'lamp')).resolves.toEqual({ id: 'o-lost-commit', item: 'lamp' });
      expect(pendingHalfMessages(broker)).toHaveLength(1);
      const received = await receiveAndAck(reader, 1, 10_000, 300);
      expect(received.map((m) => m.keys)).toEqual([['o-lost-commit']]);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(700); // delivered by the check-back, not the commit
      expect((await databaseState(app)).decisions.get(received[0].messageId)).toBe('committed');
    } finally {
      await lossy.close();
    }
  });

  it('inside an outer transaction: joins it, and the outer commit or rollback decides the message', async () => {
    const txHost = app.get<TransactionHost<TransactionalAdapterTypeOrm>>(TransactionHost);
    await txHost.withTransaction(async () => {
      await orders.createOrder('o-outer-commit', 'desk');
      await txHost.tx.query("INSERT INTO orders (id, item) VALUES ('o-outer-sibling', 'chair')");
      // Still undecided inside the outer transaction.
      expect(pendingHalfMessages(broker)).toHaveLength(1);
    });
    expect(pendingHalfMessages(broker)).toEqual([]);
    const received = await receiveAndAck(reader, 1, 10_000, 300);
    expect(received.map((m) => m.keys)).toEqual([['o-outer-commit']]);

    await expect(
      txHost.withTransaction(async () => {
        await orders.createOrder('o-outer-rollback', 'sofa');
        throw new Error('outer transaction fails after the decorated method returned');
      }),
    ).rejects.toThrow('outer transaction fails');
    // The outer rollback sent EndTransaction(ROLLBACK) at once.
    expect(pendingHalfMessages(broker)).toEqual([]);
    const state = await databaseState(app);
    expect(state.orders).toEqual(expect.arrayContaining(['o-outer-commit', 'o-outer-sibling']));
    expect(state.orders).not.toContain('o-outer-rollback');
    expect(await receiveAndAck(reader, 0, 0, 1_000)).toEqual([]);
  });

  it('with the broker unreachable: the method is not run, the caller gets OUTBOX_ERR_BROKER_UNAVAILABLE, nothing is committed', async () => {
    const doomed = await startTestBroker();
    await doomed.broker.topics.upsert({ name: ORDER_TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    const stranded = await createOutboxTestApp({ databaseUrl: database.url, endpoints: doomed.grpcEndpoint });
    try {
      await doomed.stop();
      const orders = stranded.get(OrderService);
      const startedAt = performance.now();
      const error = await orders.createOrder('o-no-broker', 'map').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboxError);
      expect((error as OutboxError).code).toBe('OUTBOX_ERR_BROKER_UNAVAILABLE');
      // The preflight refused before the method ran, and quickly (a refused TCP connect).
      expect(orders.invocations).toBe(0);
      expect(performance.now() - startedAt).toBeLessThan(1_500);
      expect((await databaseState(app)).orders).not.toContain('o-no-broker');
    } finally {
      await stranded.close();
    }
  }, 30_000);

  it('refuses a call on an instance OutboxModule did not wire', async () => {
    const unwired = new OrderService(app.get(TransactionHost));
    await expect(unwired.createOrder('o-unwired', 'x')).rejects.toMatchObject({ code: 'OUTBOX_ERR_NOT_WIRED' });
    expect((await databaseState(app)).orders).not.toContain('o-unwired');
  });
});
