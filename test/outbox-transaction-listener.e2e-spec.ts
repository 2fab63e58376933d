import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MqMessage, MqTransactionResolution } from '@app/mq';
import {
  HalfMessageSent,
  mqConsumedEntity,
  mqOutboxEntity,
  mqTransactionEntity,
  outboxEntities,
  outboxMigrations,
  TransactionCheckBack,
  TransactionalSender,
  TransactionListener,
  TransactionPruner,
  TransactionListenerHandler,
} from '@app/outbox';
import { TestBroker } from './support/broker-harness';
import { createOutboxTestApp } from './support/outbox-tx-app';
import { startOutboxBroker } from './support/outbox-tx-test-kit';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';
import { OutboxDatabase } from '@app/outbox/testing';

const TOPIC = 'outbox-listener';

@TransactionListener({ topic: TOPIC })
class PaymentListener implements TransactionListenerHandler<{ paymentId: string }, MqTransactionResolution> {
  readonly checked: string[] = [];
  private readonly decided = new Map<string, MqTransactionResolution>();

  async execute(message: HalfMessageSent<{ paymentId: string }>, answer: MqTransactionResolution): Promise<MqTransactionResolution> {
    // "UNKNOWN" now, COMMIT when the check-back asks.
    this.decided.set(message.messageId, answer === 'UNKNOWN' ? 'COMMIT' : answer);
    return answer;
  }

  async check(message: MqMessage<{ paymentId: string }>): Promise<MqTransactionResolution> {
    this.checked.push(message.messageId);
    return this.decided.get(message.messageId) ?? 'UNKNOWN';
  }
}

/** @TransactionListener + sendInTransaction, the migrations path through TypeORM, and the check-back's UNKNOWN on a broken schema. */
describe('outbox: @TransactionListener and sendInTransaction', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let app: INestApplicationContext;

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startOutboxBroker();
    await broker.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
    app = await createOutboxTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint, providers: [PaymentListener], outbox: { schema: 'app_mq' } });
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await app?.close();
    await broker?.stop();
    await database?.drop();
  });

  it('ends the transaction as execute answers; UNKNOWN is decided by check()', async () => {
    const reader = await clients.simpleConsumer({ consumerGroup: 'listener-reader', subscriptions: new Map([[TOPIC, '*']]), awaitDuration: 500 });
    const sender = app.get(TransactionalSender);
    const committed = await sender.sendInTransaction(TOPIC, { paymentId: 'p-1' }, 'COMMIT', { keys: ['p-1'] });
    const rolledBack = await sender.sendInTransaction(TOPIC, { paymentId: 'p-2' }, 'ROLLBACK', { keys: ['p-2'] });
    const later = await sender.sendInTransaction(TOPIC, { paymentId: 'p-3' }, 'UNKNOWN', { keys: ['p-3'] });
    expect([committed.resolution, rolledBack.resolution, later.resolution]).toEqual(['COMMIT', 'ROLLBACK', 'UNKNOWN']);

    const received = await receiveAndAck(reader, 2, 10_000, 1_000);
    expect(received.map((m) => m.keys[0]).sort()).toEqual(['p-1', 'p-3']);
    expect(app.get(PaymentListener).checked).toEqual([later.messageId]);
    await expect(sender.sendInTransaction('no-such-listener', {}, null)).rejects.toMatchObject({ code: 'OUTBOX_ERR_NO_LISTENER' });
  });

  it('migrations: ran in the configured schema and are recorded, so dataSource.runMigrations() finds nothing left to do', async () => {
    const dataSource = app.get(DataSource);
    const tables = await dataSource.query<Array<{ table_name: string }>>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'app_mq'");
    expect(tables.map((t) => t.table_name)).toContain('mq_transaction');
    const other = new DataSource({ type: 'postgres', url: database.url, migrations: outboxMigrations({ schema: 'app_mq' }) });
    await other.initialize();
    try {
      expect(await other.runMigrations({ transaction: 'each' })).toEqual([]);
      // The same migrations for another schema go through TypeORM's own path.
      const fresh = new DataSource({ type: 'postgres', url: database.url, migrations: outboxMigrations({ schema: 'second' }) });
      await fresh.initialize();
      expect((await fresh.runMigrations({ transaction: 'each' })).length).toBeGreaterThan(0);
      await fresh.destroy();
    } finally {
      await other.destroy();
    }
  });

  it('prunes mq_transaction decisions older than checkBack.retentionMs (7 days by default), keeping recent ones', async () => {
    const dataSource = app.get(DataSource);
    await dataSource.query(
      `INSERT INTO app_mq.mq_transaction (message_id, topic, status, created_at) VALUES
         ('old-1', $1, 'committed', now() - interval '8 days'), ('old-2', $1, 'rolled_back', now() - interval '7 days 1 minute'),
         ('recent', $1, 'committed', now() - interval '6 days')`,
      [TOPIC],
    );
    expect(await app.get(TransactionPruner).prune()).toBe(2);
    const left = await dataSource.query<
      Array<{
        message_id: string;
      }>
    >(`SELECT message_id FROM app_mq.mq_transaction WHERE message_id IN ('old-1', 'old-2', 'recent')`);
    expect(left.map((row) => row.message_id)).toEqual(['recent']);
  });

  it('the entities read the schema they are given, the one the module writes', async () => {
    await app.get(DataSource).query(`INSERT INTO app_mq.mq_transaction (message_id, topic, status) VALUES ('entity-read', $1, 'committed')`, [TOPIC]);
    const reader = new DataSource({ type: 'postgres', url: database.url, entities: outboxEntities({ schema: 'app_mq' }) });
    await reader.initialize();
    try {
      await expect(reader.getRepository(mqTransactionEntity('app_mq')).findOneBy({ messageId: 'entity-read' })).resolves.toMatchObject({
        topic: TOPIC,
        status: 'committed',
      });
      // Both tables exist only in app_mq: a query against another schema would fail.
      await expect(reader.getRepository(mqConsumedEntity('app_mq')).count()).resolves.toBe(0);
      await expect(reader.getRepository(mqOutboxEntity('app_mq')).count()).resolves.toBe(0);
    } finally {
      await reader.destroy();
    }
  });

  it('the check-back answers UNKNOWN, never COMMIT, when its table is missing', async () => {
    const runner = app.get(OutboxDatabase).runner;
    const broken = new TransactionCheckBack(runner, 'no_such_schema', 1_000, { log: () => undefined, warn: () => undefined, error: () => undefined });
    await expect(broken.resolve(TOPIC, 'any-message')).resolves.toBe('UNKNOWN');
    const sound = new TransactionCheckBack(runner, 'app_mq', 1_000, { log: () => undefined, warn: () => undefined, error: () => undefined });
    await expect(sound.resolve(TOPIC, 'never-sent')).resolves.toBe('ROLLBACK');
  });
});
