import { INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MqModule, MqModuleOptions } from '@app/mq';
import { outboxClsModule, OutboxModule, OutboxModuleOptions } from '@app/outbox';

/** The business table of the relay and idempotent-consumer tests. */
export const RELAY_ORDERS_DDL = 'CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, item text NOT NULL)';

export interface RelayTestAppOptions {
  databaseUrl: string;
  endpoints: string;
  outbox?: Omit<OutboxModuleOptions, 'logger'>;
  mq?: Partial<MqModuleOptions>;
  /** The application's own providers (services, consumers). */
  providers?: NonNullable<Parameters<typeof Module>[0]>['providers'];
}

const silentLogger = { log: () => undefined, error: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined };

/**
 * An application context wired as an outbox-mode application is: TypeORM, ClsModule with the
 * transactional plugin and the TypeORM adapter, MqModule and OutboxModule (global), the given
 * providers. No @TransactionalMessage in half-message mode, so it starts while the broker is
 * down (the transaction producer would need the broker to declare its topics). Creates the
 * orders table; logs are silent unless OUTBOX_TEST_LOG is set.
 */
export async function createRelayTestApp(options: RelayTestAppOptions): Promise<INestApplicationContext> {
  const logger = process.env.OUTBOX_TEST_LOG ? undefined : silentLogger;
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, entities: [], synchronize: false, extra: { max: 20 } }),
      outboxClsModule(),
      MqModule.forRoot({ isGlobal: true, endpoints: options.endpoints, logger: logger ? false : undefined, requestTimeoutMs: 1_000, ...options.mq }),
      OutboxModule.forRoot({ isGlobal: true, migrationsRun: true, ...options.outbox, logger }),
    ],
    providers: options.providers ?? [],
  }).compile();
  if (logger) moduleRef.useLogger(false);
  await moduleRef.get(DataSource).query(RELAY_ORDERS_DDL);
  return moduleRef.init();
}
