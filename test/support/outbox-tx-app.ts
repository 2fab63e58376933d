import { INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { MqError, MqModule, MqSendOptions, MqTransactionProducer } from '@app/mq';
import { outboxClsModule, OutboxModule, OutboxModuleOptions, TransactionalMessage } from '@app/outbox';

/** The business table of the outbox tests: one row per order the service created. */
export const ORDERS_DDL = 'CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, item text NOT NULL)';

/** What OrderService's methods take besides the order id, to steer a test case. */
export interface OrderBehaviour {
  /** Awaited after the business insert, inside the local transaction. */
  hold?: Promise<void>;
  /** Throw after the business insert. */
  fail?: boolean;
}

export const ORDER_TOPIC = 'outbox-orders';

/** A service as an application writes it: TypeORM work through the propagated transaction. */
@Injectable()
export class OrderService {
  /** How many times createOrder's body started (the preflight must keep it from running with the broker down). */
  invocations = 0;

  constructor(readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  @TransactionalMessage<{ id: string; item: string }, [string, string, OrderBehaviour?]>({
    topic: ORDER_TOPIC,
    tag: 'created',
    keys: (order) => [order.id],
    body: (order) => ({ orderId: order.id, item: order.item }),
  })
  async createOrder(id: string, item: string, behaviour: OrderBehaviour = {}): Promise<{ id: string; item: string }> {
    this.invocations++;
    await this.txHost.tx.query('INSERT INTO orders (id, item) VALUES ($1, $2)', [id, item]);
    await behaviour.hold;
    if (behaviour.fail) throw new Error(`order ${id} failed on purpose`);
    return { id, item };
  }
}

export interface OutboxTestAppOptions {
  databaseUrl: string;
  endpoints: string;
  outbox?: Omit<OutboxModuleOptions, 'logger'>;
  /** Make every EndTransaction(COMMIT) the application sends fail, as if the RPC were lost. */
  loseCommits?: boolean;
  /** Extra providers (listeners, other services). */
  providers?: NonNullable<Parameters<typeof Module>[0]>['providers'];
}

/** The transaction producer with commit() replaced by a lost RPC; check-backs are answered as usual. */
class CommitLosingProducer extends MqTransactionProducer {
  override async sendHalf<T>(topic: string, payload: T, options?: MqSendOptions) {
    const half = await super.sendHalf(topic, payload, options);
    return { ...half, commit: () => Promise.reject(new MqError('MQ_ERR_BROKER_UNAVAILABLE', 'EndTransaction lost on purpose')) };
  }
}

const silentLogger = { log: () => undefined, error: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined };

/**
 * A Nest application context wired as an application would be: TypeORM, ClsModule with the
 * transactional plugin and the TypeORM adapter, MqModule (global), OutboxModule, OrderService.
 * Creates the orders table. Logs are silent unless OUTBOX_TEST_LOG is set.
 */
export async function createOutboxTestApp(options: OutboxTestAppOptions): Promise<INestApplicationContext> {
  const logger = process.env.OUTBOX_TEST_LOG ? undefined : silentLogger;
  const builder = Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, entities: [], synchronize: false, extra: { max: 20 } }),
      outboxClsModule(),
      MqModule.forRoot({ isGlobal: true, endpoints: options.endpoints, logger: logger ? false : undefined, requestTimeoutMs: 2_000 }),
      OutboxModule.forRoot({ migrationsRun: true, ...options.outbox, logger }),
    ],
    providers: [OrderService, ...(options.providers ?? [])],
  });
  if (options.loseCommits) builder.overrideProvider(MqTransactionProducer).useClass(CommitLosingProducer);
  const moduleRef = await builder.compile();
  if (logger) moduleRef.useLogger(false);
  await moduleRef.get(DataSource).query(ORDERS_DDL);
  return moduleRef.init();
}
