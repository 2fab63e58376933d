/**
 * The application of `npm run bench:outbox`: one business operation (insert an order) done four
 * ways, and the consumer side of each (insert a payment for the order). Wired as an application
 * would be: TypeORM, ClsModule with the transactional plugin, MqModule, OutboxModule.
 */
import { performance } from 'node:perf_hooks';
import { INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { MqMessage, MqModule } from '@app/mq';
import { IdempotentConsumer, outboxClsModule, OutboxModule, TransactionalMessage } from '@app/outbox';

export const HALF_TOPIC = 'bench-outbox-half';
export const OUTBOX_TOPIC = 'bench-outbox-relay';
export const BOSS_QUEUE = 'bench-outbox-boss';
/** Handlers running at once per consumer (and pg-boss jobs per fetch). */
export const CONSUMER_CONCURRENCY = 32;
/** The idempotent consumers' group commit (off with OUTBOX_BENCH_GROUP_COMMIT=0, to compare). */
const GROUP_COMMIT = process.env.OUTBOX_BENCH_GROUP_COMMIT !== '0';

export const BENCH_DDL = [
  'CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, item text NOT NULL)',
  'CREATE TABLE IF NOT EXISTS payments (order_id text PRIMARY KEY, flow text NOT NULL)',
];

interface OrderCreated {
  orderId: string;
}

/**
 * What the consumer side of each flow has applied, counted in this process as each insert returns
 * (for (b) and (c) a moment before the idempotent consumer's transaction commits). The bench waits
 * on these instead of polling the table, so its waiting adds no statements or PostgreSQL CPU to the
 * flow it measures, and reads commit-to-consumed latency from `appliedAtMs`.
 */
export const consumerProgress = {
  applied: new Map<string, number>(),
  /** Order id -> performance.now() when its payment insert returned (only while `recordTimes`). */
  appliedAtMs: new Map<string, number>(),
  recordTimes: false,
  /** Told of every applied order when set (the consumer process reports them to the bench). */
  onApplied: undefined as ((flow: string, orderId: string) => void) | undefined,
  record(flow: string, orderId: string): void {
    this.applied.set(flow, (this.applied.get(flow) ?? 0) + 1);
    if (this.recordTimes) this.appliedAtMs.set(orderId, performance.now());
    this.onApplied?.(flow, orderId);
  },
};

/** The business operation, four ways. Each call is one local transaction inserting one order. */
@Injectable()
export class BenchOrders {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** (a) No messaging: the baseline. */
  async bare(id: string): Promise<void> {
    await this.txHost.withTransaction(() => this.insertOrder(id));
  }

  /** (b) Half message + local transaction with its mq_transaction row + EndTransaction(COMMIT). */
  @TransactionalMessage<string, [string]>({ topic: HALF_TOPIC, keys: (id) => [id], body: (id) => ({ orderId: id }) })
  async halfMessage(id: string): Promise<string> {
    await this.insertOrder(id);
    return id;
  }

  /** (c) The message as a row in mq_outbox, in the same transaction; the relay sends it. */
  @TransactionalMessage<string, [string]>({ topic: OUTBOX_TOPIC, keys: (id) => [id], body: (id) => ({ orderId: id }), mode: 'outbox' })
  async outbox(id: string): Promise<string> {
    await this.insertOrder(id);
    return id;
  }

  /** (d) A pg-boss job inserted in the business transaction, through the same connection. */
  async pgBoss(boss: PgBoss, id: string): Promise<void> {
    await this.txHost.withTransaction(async () => {
      await this.insertOrder(id);
      const manager = this.txHost.tx;
      await boss.send(BOSS_QUEUE, { orderId: id } satisfies OrderCreated, {
        db: { executeSql: async (text, values) => ({ rows: await manager.query<unknown[]>(text, values) }) },
      });
    });
  }

  private async insertOrder(id: string): Promise<void> {
    await this.txHost.tx.query('INSERT INTO orders (id, item) VALUES ($1, $2)', [id, 'book']);
  }
}

/** The other side of (b) and (c): an idempotent insert per message. */
@Injectable()
export class BenchPayments {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  @IdempotentConsumer({ topic: HALF_TOPIC, group: 'bench-half-payments', concurrency: CONSUMER_CONCURRENCY, groupCommit: GROUP_COMMIT })
  async onHalf(message: MqMessage<OrderCreated>): Promise<void> {
    // 'half-message' or 'half-official' (the same topic through either transactional wire): the order id's prefix says which.
    const { orderId } = message.payload;
    await this.pay(orderId, orderId.slice(0, orderId.lastIndexOf('-')));
  }

  @IdempotentConsumer({ topic: OUTBOX_TOPIC, group: 'bench-outbox-payments', concurrency: CONSUMER_CONCURRENCY, groupCommit: GROUP_COMMIT })
  async onOutbox(message: MqMessage<OrderCreated>): Promise<void> {
    await this.pay(message.payload.orderId, 'outbox');
  }

  private async pay(orderId: string, flow: string): Promise<void> {
    await this.txHost.tx.query('INSERT INTO payments (order_id, flow) VALUES ($1, $2)', [orderId, flow]);
    consumerProgress.record(flow, orderId);
  }
}

/**
 * The pg-boss worker of (d): the same insert, one per job, all jobs of a fetch at once. pg-boss 10
 * waits `pollingIntervalSeconds` (at least 0.5 s) between the starts of two fetches of a worker,
 * whatever it found, so its ceiling is workers x batchSize x 2 jobs/s: 4 x 128 here, above what
 * the callers produce, so the flow is not capped by its poll loop.
 */
export const BOSS_WORKERS = 4;
export const BOSS_BATCH_SIZE = 128;

export async function startBossWorkers(boss: PgBoss, dataSource: DataSource): Promise<void> {
  for (let n = 0; n < BOSS_WORKERS; n++) {
    await boss.work<OrderCreated>(BOSS_QUEUE, { batchSize: BOSS_BATCH_SIZE, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      await Promise.all(
        jobs.map(async (job) => {
          await dataSource.query('INSERT INTO payments (order_id, flow) VALUES ($1, $2)', [job.data.orderId, 'pg-boss']);
          consumerProgress.record('pg-boss', job.data.orderId);
        }),
      );
    });
  }
}

/**
 * What one bench application runs: `all` (callers, relay and consumers: the default, one
 * process), `callers` (callers and relay; the consumers run in a process of their own with
 * `--consumer-process`), `consumers` (that process: the consumers only), `official-callers` (the
 * side-by-side flow: half messages through the official client's own calls, no consumers, no relay).
 */
export type BenchAppRole = 'all' | 'callers' | 'consumers' | 'official-callers';

/**
 * The Nest application: pool of `poolSize` connections, half messages on libs/mq's node:http2
 * transactional wire unless `official-callers`; what runs in it by `role`.
 */
export async function createBenchApp(databaseUrl: string, endpoints: string, poolSize: number, role: BenchAppRole = 'all'): Promise<INestApplicationContext> {
  const officialWire = role === 'official-callers';
  const consumers = role === 'all' || role === 'consumers';
  const relay = role === 'all' || role === 'callers';
  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl, entities: [], synchronize: false, extra: { max: poolSize } }),
      outboxClsModule(),
      MqModule.forRoot({
        isGlobal: true,
        endpoints,
        logger: process.env.OUTBOX_BENCH_LOG ? undefined : false,
        // OUTBOX_BENCH_RECEIVE_WIRE=official: consumers receive and ack through the official client's calls, to compare.
        consumers: { shutdownTimeoutMs: 5_000, enabled: consumers, receiveWire: process.env.OUTBOX_BENCH_RECEIVE_WIRE === 'official' ? 'official' : 'http2' },
        producer: { lingerMs: Number(process.env.OUTBOX_BENCH_LINGER_MS ?? 2), transactionWire: officialWire ? 'official' : 'http2' },
        // The application's side of the message trace, on as by default (OUTBOX_BENCH_TRACE=0: off, to measure its cost).
        trace: { enabled: process.env.OUTBOX_BENCH_TRACE !== '0' },
      }),
      OutboxModule.forRoot({ isGlobal: true, migrationsRun: role === 'all' || role === 'callers', relay: { batchSize: 64, enabled: relay } }),
    ],
    providers: [BenchOrders, BenchPayments],
  })
  class BenchAppModule {}
  const app = await NestFactory.createApplicationContext(BenchAppModule, { logger: process.env.OUTBOX_BENCH_LOG ? ['error', 'warn', 'log'] : ['error'] });
  return app;
}
