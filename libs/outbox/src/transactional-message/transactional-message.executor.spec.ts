import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test, TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { OutboxDatabase } from '../outbox-database';
import { OutboxModuleOptions, TransactionalMessageStep } from '../outbox.options';
import { OutboxWriter } from '../relay/outbox-writer';
import { brokerUnavailableError, FakeMqProducer, InMemoryOutboxDatabase, inMemoryOutboxProviders, InMemoryTable, sendRefusedError } from '../testing';
import { TransactionalMessage } from './transactional-message.decorator';
import { TransactionalMessageExecutor } from './transactional-message.executor';
import { TransactionalMessageExplorer } from './transactional-message.explorer';

const TOPIC = 'orders';

/** A business service: its order row is written in the decorated method's local transaction. */
@Injectable()
class OrderService {
  /** The business table, joined to the runner's transactions. */
  readonly orders = new InMemoryTable<{ id: string }>();
  ran = 0;
  failWith: Error | undefined;

  constructor(private readonly database: OutboxDatabase) {}

  @TransactionalMessage({ topic: TOPIC, keys: (order: { id: string }) => [order.id] })
  async place(id: string): Promise<{ id: string }> {
    return this.insertOrder(id);
  }

  @TransactionalMessage({ topic: 'orders-outbox', mode: 'outbox', keys: (order: { id: string }) => [order.id] })
  async placeViaOutbox(id: string): Promise<{ id: string }> {
    return this.insertOrder(id);
  }

  private async insertOrder(id: string): Promise<{ id: string }> {
    this.ran += 1;
    await this.orders.insert(id, { id }, (this.database as InMemoryOutboxDatabase).runner.currentTransaction());
    if (this.failWith !== undefined) throw this.failWith;
    return { id };
  }
}

interface Harness {
  app: TestingModule;
  database: InMemoryOutboxDatabase;
  producer: FakeMqProducer;
  service: OrderService;
  registry: Registry;
}

async function harnessOf(options: OutboxModuleOptions = {}, producer = new FakeMqProducer()): Promise<Harness> {
  const database = new InMemoryOutboxDatabase();
  const registry = new Registry();
  const app = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [
      ...inMemoryOutboxProviders({ database, producer, options: { metrics: { registry }, ...options } }),
      TransactionalMessageExecutor,
      TransactionalMessageExplorer,
      OutboxWriter,
      OrderService,
    ],
  }).compile();
  await app.init();
  return { app, database, producer, service: app.get(OrderService), registry };
}

/** A harness whose broker runs a check-back of the message at `step` of the flow (hooks.onStep), keeping its answers. */
async function harnessCheckingBackAtOf(step: TransactionalMessageStep, options: OutboxModuleOptions = {}): Promise<Harness & { answers: string[] }> {
  const producer = new FakeMqProducer();
  const answers: string[] = [];
  const onStep = async (at: TransactionalMessageStep, { messageId }: { messageId: string }): Promise<void> => {
    if (at === step) answers.push(await producer.checkBack(messageId));
  };
  return { ...(await harnessOf({ ...options, hooks: { onStep } }, producer)), answers };
}

/** `mq_local_transactions_total` by result, for the topic. */
async function localTransactions(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('mq_local_transactions_total')!.get();
  return Object.fromEntries(metric.values.filter((value) => value.labels.topic === TOPIC).map((value) => [String(value.labels.result), value.value]));
}

/** What one call left behind, on both sides, and what the broker's check-back would then decide. */
interface Outcome {
  caller: { result: unknown } | { error: unknown };
  methodRan: boolean;
  order: boolean;
  half: string | undefined;
  row: string | undefined;
  metric: Record<string, number>;
}

async function call(h: Harness): Promise<Outcome> {
  const caller = await h.service.place('o-1').then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  return {
    caller,
    methodRan: h.service.ran > 0,
    order: h.service.orders.get('o-1') !== undefined,
    half: h.producer.halves[0]?.state,
    row: h.database.store.transactions().find((row) => row.messageId === h.producer.halves[0]?.messageId)?.status,
    metric: await localTransactions(h.registry),
  };
}

describe.each([{ claimWithCommit: true }, { claimWithCommit: false }])(
  'TransactionalMessageExecutor: each step of the half-message flow failing in turn (in memory, claimWithCommit: $claimWithCommit)',
  ({ claimWithCommit }) => {
    const harness = (options: OutboxModuleOptions = {}) => harnessOf({ claimWithCommit, ...options });
    const harnessCheckingBackAt = (step: TransactionalMessageStep, options: OutboxModuleOptions = {}) =>
      harnessCheckingBackAtOf(step, { claimWithCommit, ...options });
    const databaseDown = Object.assign(new Error('connection terminated'), { code: '57P01' });

    it('all steps succeed: the caller gets the result, the order and the committed row stay, the half message is committed', async () => {
      const h = await harness();
      expect(await call(h)).toEqual({
        caller: { result: { id: 'o-1' } },
        methodRan: true,
        order: true,
        half: 'committed',
        row: 'committed',
        metric: { committed: 1 },
      });
      expect(h.producer.halves[0]).toMatchObject({ payload: { id: 'o-1' }, options: { keys: ['o-1'] } });
    });

    it('the preflight finds the broker unreachable: OUTBOX_ERR_BROKER_UNAVAILABLE, the method never runs, nothing is left', async () => {
      const h = await harness();
      h.producer.failNext('ensure-reachable', brokerUnavailableError(TOPIC));
      expect(await call(h)).toEqual({
        caller: { error: expect.objectContaining({ code: 'OUTBOX_ERR_BROKER_UNAVAILABLE' }) },
        methodRan: false,
        order: false,
        half: undefined,
        row: undefined,
        metric: {},
      });
    });

    it('the local transaction cannot begin: the database error, the method never runs, no half message', async () => {
      const h = await harness();
      h.database.runner.failNext('begin', databaseDown);
      expect(await call(h)).toEqual({
        caller: { error: databaseDown },
        methodRan: false,
        order: false,
        half: undefined,
        row: undefined,
        metric: { rolled_back: 1 },
      });
    });

    it('the method throws: its error, the order rolled back, no half message was sent', async () => {
      const h = await harness();
      const refused = new Error('out of stock');
      h.service.failWith = refused;
      expect(await call(h)).toEqual({ caller: { error: refused }, methodRan: true, order: false, half: undefined, row: undefined, metric: { rolled_back: 1 } });
    });

    it.each([
      { broker: 'unreachable', error: brokerUnavailableError(TOPIC), code: 'OUTBOX_ERR_BROKER_UNAVAILABLE' },
      { broker: 'refusing', error: sendRefusedError(TOPIC), code: 'OUTBOX_ERR_HALF_SEND_FAILED' },
    ])('the half message cannot be sent (broker $broker): $code, the order rolled back', async ({ error, code }) => {
      const h = await harness();
      h.producer.failNext('send-half', error);
      expect(await call(h)).toEqual({
        caller: { error: expect.objectContaining({ code, cause: error }) },
        methodRan: true,
        order: false,
        half: undefined,
        row: undefined,
        metric: { rolled_back: 1 },
      });
    });

    // With the claim in the COMMIT's round trip, the claim failing is the commit failing.
    if (!claimWithCommit) {
      it('the record insert fails: the database error, the order rolled back, the half message rolled back at once', async () => {
        const h = await harness();
        h.database.runner.failNext('mq_transaction_insert_committed', databaseDown);
        expect(await call(h)).toEqual({
          caller: { error: databaseDown },
          methodRan: true,
          order: false,
          half: 'rolled-back',
          row: undefined,
          metric: { rolled_back: 1 },
        });
      });
    }

    it('a check-back claims the message before the record insert: OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK, the order rolled back', async () => {
      // The broker asks between the half send and the insert: the check-back's row wins.
      const h = await harnessCheckingBackAt('half-sent');
      expect(await call(h)).toEqual({
        caller: { error: expect.objectContaining({ code: 'OUTBOX_ERR_ROLLED_BACK_BY_CHECK_BACK' }) },
        methodRan: true,
        order: false,
        half: 'rolled-back',
        row: 'rolled_back',
        metric: { rolled_back: 1 },
      });
      expect(h.answers).toEqual(['ROLLBACK']);
    });

    if (claimWithCommit) {
      it('the claim and the commit are one step: the hooks see half-sent then local-committed, no row-inserted', async () => {
        const steps: TransactionalMessageStep[] = [];
        const h = await harness({ hooks: { onStep: (step) => void steps.push(step) } });
        expect(await call(h)).toMatchObject({ caller: { result: { id: 'o-1' } }, half: 'committed', row: 'committed' });
        expect(steps).toEqual(['half-sent', 'local-committed']);
      });
    } else {
      it('a check-back while the local transaction holds its row answers UNKNOWN, never COMMIT, and the flow commits', async () => {
        // The check-back waits this long for the row the local transaction holds (PostgreSQL's lock_timeout).
        const h = await harnessCheckingBackAt('row-inserted', { checkBack: { lockTimeoutMs: 20 } });
        expect(await call(h)).toMatchObject({ caller: { result: { id: 'o-1' } }, half: 'committed', row: 'committed', order: true });
        expect(h.answers).toEqual(['UNKNOWN']);
      });
    }

    it.each(claimWithCommit ? ['commit', 'mq_transaction_insert_committed'] : ['commit'])(
      'the commit fails with nothing applied (at %s): the error, no EndTransaction (outcome unknown); the check-back then rolls back',
      async (point) => {
        const h = await harness();
        h.database.runner.failNext(point, databaseDown);
        expect(await call(h)).toEqual({
          caller: { error: databaseDown },
          methodRan: true,
          order: false,
          half: 'pending',
          row: undefined,
          metric: { unknown: 1 },
        });
        await expect(h.producer.checkBack(h.producer.halves[0].messageId)).resolves.toBe('ROLLBACK');
        expect(h.producer.halves[0].state).toBe('rolled-back');
        expect(h.database.store.transactions()).toEqual([expect.objectContaining({ status: 'rolled_back' })]);
      },
    );

    it.each(claimWithCommit ? ['commit', 'mq_transaction_insert_committed'] : ['commit'])(
      'PostgreSQL answers the commit with an ERROR (at %s): nothing committed, so the error, the order rolled back, the half message rolled back at once',
      async (point) => {
        const h = await harness();
        // As pg reports an ErrorResponse: a deferred constraint checked at COMMIT, a serialization failure.
        const refused = Object.assign(new Error('could not serialize access due to read/write dependencies'), { code: '40001', severity: 'ERROR' });
        h.database.runner.failNext(point, refused);
        expect(await call(h)).toEqual({
          caller: { error: refused },
          methodRan: true,
          order: false,
          half: 'rolled-back',
          row: undefined,
          metric: { rolled_back: 1 },
        });
      },
    );

    // What TypeORM rethrows when an AfterTransactionCommit subscriber's own query fails: a pg ERROR naming that query.
    const subscriberFailed = Object.assign(new Error('relation "audit" does not exist'), {
      code: '42P01',
      severity: 'ERROR',
      query: 'INSERT INTO audit VALUES ($1)',
    });
    it.each([
      { after: 'its answer is lost', error: databaseDown },
      { after: 'an after-commit subscriber fails with an ERROR of its own query (not a refused commit)', error: subscriberFailed },
    ])('the commit applies, then $after: the error, no EndTransaction; the check-back reads the row and commits', async ({ error }) => {
      const h = await harness();
      h.database.runner.failNext('commit-applied', error);
      expect(await call(h)).toEqual({
        caller: { error },
        methodRan: true,
        order: true,
        half: 'pending',
        row: 'committed',
        metric: { unknown: 1 },
      });
      await expect(h.producer.checkBack(h.producer.halves[0].messageId)).resolves.toBe('COMMIT');
      expect(h.producer.halves[0].state).toBe('committed');
    });

    it('EndTransaction(COMMIT) fails: the caller still gets the result; the half message waits for the check-back, which commits it', async () => {
      const h = await harness();
      h.producer.failNext('end-transaction', brokerUnavailableError(TOPIC));
      expect(await call(h)).toEqual({
        caller: { result: { id: 'o-1' } },
        methodRan: true,
        order: true,
        half: 'pending',
        row: 'committed',
        metric: { committed: 1 },
      });
      await expect(h.producer.checkBack(h.producer.halves[0].messageId)).resolves.toBe('COMMIT');
      expect(h.producer.halves[0].state).toBe('committed');
    });
  },
);

describe('TransactionalMessageExecutor: joined to an outer transaction, and outbox mode (in memory)', () => {
  it('inside an outer transaction, EndTransaction waits for the outer outcome: COMMIT after its commit, ROLLBACK after its rollback', async () => {
    const h = await harnessOf();
    const runner = h.database.runner;
    await runner.inTransaction(async () => {
      await h.service.place('o-1');
      // Still inside the outer transaction: sent and claimed, not ended.
      expect(h.producer.halves[0].state).toBe('pending');
    });
    expect(h.producer.halves[0].state).toBe('committed');
    expect(h.database.store.transactions()).toEqual([expect.objectContaining({ messageId: h.producer.halves[0].messageId, status: 'committed' })]);

    const outerFailure = new Error('a later step of the outer transaction failed');
    await expect(
      runner.inTransaction(async () => {
        await h.service.place('o-2');
        throw outerFailure;
      }),
    ).rejects.toBe(outerFailure);
    expect(h.producer.halves[1].state).toBe('rolled-back');
    expect(h.service.orders.get('o-2')).toBeUndefined();
    expect(h.database.store.transactions()).toHaveLength(1);
  });

  it.each([true, false])(
    "outbox mode writes a row in the method's transaction instead of a half message, and nothing when the method throws (enqueueWithCommit: %s)",
    async (enqueueWithCommit) => {
      const h = await harnessOf({ enqueueWithCommit });
      const queued = jest.spyOn(h.database.runner, 'atCommit');
      await expect(h.service.placeViaOutbox('o-1')).resolves.toEqual({ id: 'o-1' });
      // With the COMMIT: the insert is queued for it, not run while the method's transaction is open.
      expect(queued.mock.calls.map(([statement]) => statement.name)).toEqual(enqueueWithCommit ? ['mq_outbox_insert.public'] : []);
      h.service.failWith = new Error('out of stock');
      await expect(h.service.placeViaOutbox('o-2')).rejects.toThrow('out of stock');
      expect(h.producer.halves).toEqual([]);
      expect(h.database.store.outbox()).toEqual([expect.objectContaining({ topic: 'orders-outbox', keys: ['o-1'], status: 'pending' })]);
      expect(JSON.parse(h.database.store.outbox()[0].body.toString())).toEqual({ id: 'o-1' });
    },
  );
});
