import { LoggerService, Provider } from '@nestjs/common';
import { MqProducer, MqTransactionProducer } from '@app/mq';
import { OutboxDatabase } from '../outbox-database';
import { resolveOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { OUTBOX_METRICS_PROVIDER } from '../outbox.module';
import { OutboxModuleOptions } from '../outbox.options';
import { FakeMqProducer } from './fake-mq-producer';
import { InMemoryOutboxDatabase } from './in-memory-outbox-database';

/** A logger that drops everything, for specs whose failures are the point. */
export const SILENT_LOGGER: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/**
 * What OutboxModule's capabilities inject, in memory: the database, the producers (one
 * FakeMqProducer under both classes), the resolved options (logger silent unless given) and the
 * metrics. A unit spec lists these with the capability it builds (the executor, the interceptor,
 * the relay) in `Test.createTestingModule({ providers })`, so the capability is wired by Nest as
 * in OutboxModule, without PostgreSQL or a broker.
 */
export function inMemoryOutboxProviders(setup: { database: InMemoryOutboxDatabase; producer: FakeMqProducer; options?: OutboxModuleOptions }): Provider[] {
  return [
    { provide: OutboxDatabase, useValue: setup.database },
    { provide: MqTransactionProducer, useValue: setup.producer },
    { provide: MqProducer, useValue: setup.producer },
    { provide: OUTBOX_MODULE_OPTIONS, useValue: resolveOutboxOptions({ logger: SILENT_LOGGER, ...setup.options }) },
    OUTBOX_METRICS_PROVIDER,
  ];
}
