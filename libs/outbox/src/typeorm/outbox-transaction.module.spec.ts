import { Global, Module, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getTransactionHostToken, TransactionHost } from '@nestjs-cls/transactional';
import { getDataSourceToken } from '@nestjs/typeorm';
import { MqProducer, MqTransactionProducer } from '@app/mq';
import { NotificationModule } from '../notification/notification.module';
import { NOTIFICATION_TRANSACTION_RUNNER } from '../notification/notification.module-definition';
import { OutboxDatabase } from '../outbox-database';
import { OutboxModule } from '../outbox.module';
import { OUTBOX_TRANSACTION_RUNNER } from './outbox-transaction.module';
import { TransactionRunner } from '../transaction-runner';

/** What TypeOrmModule, ClsModule and MqModule would register globally; nothing connects anywhere. */
function fakeInfrastructure(names: { dataSource?: string; transaction?: string } = {}) {
  const dataSource = { subscribers: [] as unknown[] };
  const txHost = { isTransactionActive: () => false };
  const tokens = [getDataSourceToken(names.dataSource), getTransactionHostToken(names.transaction), MqTransactionProducer, MqProducer];
  @Global()
  @Module({
    providers: [
      { provide: tokens[0], useValue: dataSource },
      { provide: tokens[1], useValue: txHost },
      { provide: MqTransactionProducer, useValue: {} },
      { provide: MqProducer, useValue: {} },
      // The unnamed TransactionHost as well, when the test names another one.
      ...(names.transaction ? [{ provide: TransactionHost, useValue: { isTransactionActive: () => false } }] : []),
    ],
    exports: [...tokens, ...(names.transaction ? [TransactionHost] : [])],
  })
  class FakeInfrastructureModule {}
  return { module: FakeInfrastructureModule, dataSource };
}

/** Compiles (instantiates every provider, runs no lifecycle hook: no migration, relay or worker). */
async function compile(imports: ModuleMetadata['imports']) {
  return Test.createTestingModule({ imports }).compile();
}

describe('OutboxTransactionModule: one TransactionRunner per connection', () => {
  it('gives OutboxModule and NotificationModule imported together the same runner instance', async () => {
    const infrastructure = fakeInfrastructure();
    const app = await compile([infrastructure.module, OutboxModule.forRoot({}), NotificationModule.forRoot({ workerEnabled: false })]);
    const outboxRunner = app.get(OutboxDatabase, { strict: false }).runner;
    const notificationRunner = app.get<TransactionRunner>(NOTIFICATION_TRANSACTION_RUNNER, { strict: false });
    expect(notificationRunner).toBe(outboxRunner);
    expect(app.get(OUTBOX_TRANSACTION_RUNNER, { strict: false })).toBe(outboxRunner);
    // The runner's transaction-completion subscriber is registered once on the DataSource.
    expect(infrastructure.dataSource.subscribers).toHaveLength(1);
    await app.close();
  });

  it('shares the runner across forRootAsync and named defaults too', async () => {
    const infrastructure = fakeInfrastructure();
    const app = await compile([
      infrastructure.module,
      OutboxModule.forRootAsync({ isGlobal: true, dataSourceName: 'default', useFactory: () => ({ migrationsRun: false }) }),
      NotificationModule.forRoot({ workerEnabled: false }),
    ]);
    expect(app.get(NOTIFICATION_TRANSACTION_RUNNER, { strict: false })).toBe(app.get(OutboxDatabase, { strict: false }).runner);
    expect(infrastructure.dataSource.subscribers).toHaveLength(1);
    await app.close();
  });

  it('shares it under the deep-hash module ids too', async () => {
    const infrastructure = fakeInfrastructure();
    const app = await Test.createTestingModule(
      { imports: [infrastructure.module, OutboxModule.forRoot({}), NotificationModule.forRoot({ workerEnabled: false })] },
      { moduleIdGeneratorAlgorithm: 'deep-hash' },
    ).compile();
    expect(app.get(NOTIFICATION_TRANSACTION_RUNNER, { strict: false })).toBe(app.get(OutboxDatabase, { strict: false }).runner);
    await app.close();
  });

  it('gives another connection, and another application, a runner of its own', async () => {
    const first = fakeInfrastructure({ transaction: 'payments' });
    const app = await compile([
      first.module,
      OutboxModule.forRoot({ transactionConnectionName: 'payments' }),
      NotificationModule.forRoot({ workerEnabled: false }),
    ]);
    expect(app.get(NOTIFICATION_TRANSACTION_RUNNER, { strict: false })).not.toBe(app.get(OutboxDatabase, { strict: false }).runner);
    const second = await compile([fakeInfrastructure({ transaction: 'payments' }).module, OutboxModule.forRoot({ transactionConnectionName: 'payments' })]);
    expect(second.get(OutboxDatabase, { strict: false }).runner).not.toBe(app.get(OutboxDatabase, { strict: false }).runner);
    await Promise.all([app.close(), second.close()]);
  });

  it('lets each module work alone', async () => {
    const outboxAlone = await compile([fakeInfrastructure().module, OutboxModule.forRoot({})]);
    expect(outboxAlone.get(OutboxDatabase, { strict: false }).runner.isTransactionActive()).toBe(false);
    await outboxAlone.close();
    const notificationAlone = await compile([fakeInfrastructure().module, NotificationModule.forRoot({ workerEnabled: false })]);
    expect(notificationAlone.get<TransactionRunner>(NOTIFICATION_TRANSACTION_RUNNER, { strict: false }).isTransactionActive()).toBe(false);
    await notificationAlone.close();
  });

  it('injects the DataSource and TransactionHost named by the extras', async () => {
    const infrastructure = fakeInfrastructure({ dataSource: 'orders', transaction: 'orders' });
    const app = await compile([
      infrastructure.module,
      OutboxModule.forRoot({ dataSourceName: 'orders', transactionConnectionName: 'orders' }),
      NotificationModule.forRoot({ workerEnabled: false, dataSourceName: 'orders', transactionConnectionName: 'orders' }),
    ]);
    expect(app.get(NOTIFICATION_TRANSACTION_RUNNER, { strict: false })).toBe(app.get(OutboxDatabase, { strict: false }).runner);
    expect(infrastructure.dataSource.subscribers).toHaveLength(1);
    await app.close();
  });

  it('refuses to start without a DataSource or a TransactionHost, naming what registers it', async () => {
    await expect(compile([fakeInfrastructure().module, OutboxModule.forRoot({ dataSourceName: 'missing' })])).rejects.toMatchObject({
      code: 'OUTBOX_ERR_INVALID_OPTIONS',
      message: expect.stringContaining('TypeOrmModule.forRoot'),
    });
    await expect(compile([fakeInfrastructure().module, NotificationModule.forRoot({ transactionConnectionName: 'missing' })])).rejects.toMatchObject({
      code: 'OUTBOX_ERR_INVALID_OPTIONS',
      message: expect.stringContaining('ClsPluginTransactional'),
    });
  });

  it('refuses a connection name returned by a forRootAsync factory, where it is too late to pick a token', async () => {
    const factory = () => ({ dataSourceName: 'orders' }) as object;
    await expect(compile([fakeInfrastructure().module, OutboxModule.forRootAsync({ useFactory: factory })])).rejects.toMatchObject({
      code: 'OUTBOX_ERR_INVALID_OPTIONS',
      message: expect.stringContaining('forRootAsync({ dataSourceName, useFactory })'),
    });
  });
});
