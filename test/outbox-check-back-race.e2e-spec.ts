import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { OutboxError, TransactionalMessageStep } from '@app/outbox';
import { TestBroker } from './support/broker-harness';
import { createOutboxTestApp, OrderService } from './support/outbox-tx-app';
import { databaseState, latch, orderReader, pendingHalfMessages, startOutboxBroker } from './support/outbox-tx-test-kit';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck, waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * The check-back racing the local transaction (DESIGN.md section 4). A hook holds the local
 * transaction open at one step while the broker's check-back (800 ms after the half message)
 * runs against the same mq_transaction row.
 */
describe.each([{ claimWithCommit: true }, { claimWithCommit: false }])(
  'outbox: check-back racing the local transaction (claimWithCommit: $claimWithCommit)',
  ({ claimWithCommit }) => {
    let database: TestDatabase;
    let broker: TestBroker;
    let clients: OfficialClients;
    let reader: SimpleConsumer;
    const held = new Map<TransactionalMessageStep, Promise<void>>();
    /** Per-message hold at 'half-sent', for the concurrent case. */
    const heldMessages = new Map<string, Promise<void>>();
    const reached: Array<{ step: TransactionalMessageStep; messageId: string }> = [];
    let app: INestApplicationContext;

    beforeAll(async () => {
      database = await createTestDatabase();
      broker = await startOutboxBroker();
      clients = new OfficialClients(broker.grpcEndpoint);
      app = await createOutboxTestApp({
        databaseUrl: database.url,
        endpoints: broker.grpcEndpoint,
        outbox: {
          claimWithCommit,
          checkBack: { lockTimeoutMs: 1_500 },
          hooks: {
            onStep: async (step, context) => {
              reached.push({ step, messageId: context.messageId });
              await held.get(step);
              if (step === 'half-sent') await heldMessages.get(context.messageId);
            },
          },
        },
      });
      reader = await orderReader(clients, 'outbox-race-reader');
    });

    afterEach(() => {
      held.clear();
      heldMessages.clear();
      reached.length = 0;
    });

    afterAll(async () => {
      await clients?.shutdownAll();
      await app?.close();
      await broker?.stop();
      await database?.drop();
    });

    const messageAt = (step: TransactionalMessageStep) => reached.find((r) => r.step === step)?.messageId;
    const statusOf = async (messageId: string) => (await databaseState(app)).decisions.get(messageId);
    /** Sessions waiting on a lock while inserting into mq_transaction: the check-back blocked by the local transaction. */
    const blockedCheckBacks = async (): Promise<number> => {
      const rows = await app.get(DataSource).query<
        Array<{
          n: number;
        }>
      >("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%mq_transaction%rolled_back%'");
      return rows[0].n;
    };

    it('check-back first: it claims the message as rolled back, the local transaction then fails and the message is never delivered', async () => {
      const gate = latch();
      held.set('half-sent', gate.promise);
      const call = app
        .get(OrderService)
        .createOrder('o-race-lost', 'kettle')
        .catch((error: unknown) => error);
      await waitFor('the half message', () => messageAt('half-sent') !== undefined, 10_000);
      const messageId = messageAt('half-sent')!;
      await waitFor('the check-back to claim the row', async () => (await statusOf(messageId)) === 'rolled_back', 10_000);
      await waitFor('the broker to roll the half message back', () => !pendingHalfMessages(broker).includes(messageId), 5_000);
      gate.release();

      const error = await call;
      expect(error).toBeInstanceOf(OutboxError);
      expect((error as OutboxError).code).toBe('OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK');
      expect((error as OutboxError).context).toMatchObject({ messageId });
      const state = await databaseState(app);
      expect(state.orders).not.toContain('o-race-lost');
      expect(state.decisions.get(messageId)).toBe('rolled_back');
      expect(await receiveAndAck(reader, 0, 0, 1_500)).toEqual([]);
    }, 30_000);

    // A row held before the commit exists only when the claim is a statement of its own.
    if (!claimWithCommit) {
      it('check-back while the local transaction holds its row: it waits for the commit and answers COMMIT; the message is delivered once', async () => {
        const gate = latch();
        held.set('row-inserted', gate.promise);
        const call = app.get(OrderService).createOrder('o-race-won', 'teapot');
        await waitFor('the row insert', () => messageAt('row-inserted') !== undefined, 10_000);
        const messageId = messageAt('row-inserted')!;
        await waitFor('the check-back to block on the row', async () => (await blockedCheckBacks()) > 0, 10_000);
        gate.release();

        await expect(call).resolves.toEqual({ id: 'o-race-won', item: 'teapot' });
        // The check-back's COMMIT and the flow's own EndTransaction(COMMIT) race; one wins, one message.
        const received = await receiveAndAck(reader, 1, 10_000, 1_500);
        expect(received.map((m) => m.messageId)).toEqual([messageId]);
        expect(await statusOf(messageId)).toBe('committed');
        expect(pendingHalfMessages(broker)).toEqual([]);
      }, 30_000);

      it('a local transaction holding its row past the lock timeout: check-backs answer UNKNOWN, and the later commit still delivers', async () => {
        const gate = latch();
        held.set('row-inserted', gate.promise);
        const call = app.get(OrderService).createOrder('o-race-slow', 'mug');
        await waitFor('the row insert', () => messageAt('row-inserted') !== undefined, 10_000);
        const messageId = messageAt('row-inserted')!;
        const checksBefore = () => broker.broker.transactions.list().find((view) => view.messageId === messageId)?.checkCount ?? 0;
        // The first check-back blocks 1.5 s, then answers UNKNOWN; the broker asks again.
        await waitFor('two check-backs', () => checksBefore() >= 2, 15_000);
        expect(pendingHalfMessages(broker)).toContain(messageId);
        gate.release();

        await expect(call).resolves.toEqual({ id: 'o-race-slow', item: 'mug' });
        const received = await receiveAndAck(reader, 1, 10_000, 1_000);
        expect(received.map((m) => m.messageId)).toEqual([messageId]);
        expect(await statusOf(messageId)).toBe('committed');
      }, 30_000);
    }

    it('concurrent calls, half of them overtaken by the check-back: exactly the committed orders have their message', async () => {
      const gate = latch();
      held.set('half-sent', gate.promise);
      const ids = Array.from({ length: 6 }, (_, i) => `o-concurrent-${i}`);
      const calls = ids.map((id) =>
        app
          .get(OrderService)
          .createOrder(id, 'spoon')
          .then(
            () => 'ok' as const,
            (e: unknown) => (e as OutboxError).code,
          ),
      );
      await waitFor('six half messages', () => reached.filter((r) => r.step === 'half-sent').length === 6, 10_000);
      // Every other message stays held until the check-back has claimed it; the others go on at once.
      const messageIds = reached.filter((r) => r.step === 'half-sent').map((r) => r.messageId);
      const overtaken = messageIds.filter((_, i) => i % 2 === 1);
      const stillHeld = latch();
      for (const messageId of overtaken) heldMessages.set(messageId, stillHeld.promise);
      gate.release();
      await waitFor(
        'the check-back to claim the held ones',
        async () => {
          const state = await databaseState(app);
          return overtaken.every((messageId) => state.decisions.get(messageId) === 'rolled_back');
        },
        10_000,
      );
      stillHeld.release();

      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
      expect(outcomes.filter((o) => o !== 'ok')).toEqual(Array(3).fill('OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK'));
      const state = await databaseState(app);
      const committedOrders = ids.filter((id) => state.orders.includes(id));
      expect(committedOrders).toHaveLength(3);
      const received = await receiveAndAck(reader, 3, 10_000, 1_500);
      expect(received.map((m) => m.keys[0]).sort()).toEqual(committedOrders.sort());
      expect(received.map((m) => m.messageId).sort()).toEqual(messageIds.filter((id) => !overtaken.includes(id)).sort());
      expect(pendingHalfMessages(broker)).toEqual([]);
    }, 30_000);
  },
);
