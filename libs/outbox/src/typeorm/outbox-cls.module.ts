import { DynamicModule } from '@nestjs/common';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsModule } from 'nestjs-cls';
import { DataSource } from 'typeorm';

/**
 * The ClsModule that OutboxModule and NotificationModule expect the application to register
 * once: global, with @nestjs-cls/transactional's TypeORM adapter, so the application and these
 * modules share one TransactionHost. `dataSourceToken` names a DataSource other than the default.
 * An application that needs more of nestjs-cls registers ClsModule itself with the same plugin.
 */
export function outboxClsModule(dataSourceToken: unknown = DataSource): DynamicModule {
  return ClsModule.forRoot({
    global: true,
    plugins: [new ClsPluginTransactional({ adapter: new TransactionalAdapterTypeOrm({ dataSourceToken }) })],
  });
}
