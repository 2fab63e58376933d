import { INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  mqConsumedMigration,
  mqNotificationDeliveredIndexMigration,
  mqNotificationMigration,
  mqNotificationSourceMessageMigration,
  runSelectedMigrations,
} from '@app/outbox/testing';
import { ManualClock, NOTIFICATION_METRICS_REGISTRY, NotificationDeliveryWorker, NotificationModule, NotificationService, outboxClsModule } from '@app/outbox';
import type { NotificationModuleOptions } from '@app/outbox';

/**
 * Shared by the notification specs: a Nest application context wired as an app would be
 * (TypeORM, ClsModule + transactional plugin, NotificationModule), a business table, and a real
 * HTTP receiver on 127.0.0.1 whose answers a test scripts.
 */
export const PAYMENTS_DDL = 'CREATE TABLE IF NOT EXISTS payments (id text PRIMARY KEY, amount integer NOT NULL)';

/** A business service: the payment row and its notification commit or roll back together. */
@Injectable()
export class PaymentService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly notifications: NotificationService,
  ) {}

  @Transactional()
  async pay(id: string, amount: number, endpoint: string, fail = false): Promise<string> {
    await this.txHost.tx.query('INSERT INTO payments (id, amount) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, amount]);
    const { id: notificationId } = await this.notifications.notify({
      endpoint,
      event: 'payment.succeeded',
      payload: { paymentId: id, amount },
      idempotencyKey: `payment:${id}`,
    });
    if (fail) throw new Error(`payment ${id} failed on purpose`);
    return notificationId;
  }
}

/** Runs the migrations the notification code needs (mq_consumed, mq_notification*) once per database. */
export async function migrateNotificationTables(databaseUrl: string): Promise<void> {
  const dataSource = new DataSource({ type: 'postgres', url: databaseUrl });
  await dataSource.initialize();
  try {
    await runSelectedMigrations(dataSource, [
      mqConsumedMigration('public'),
      mqNotificationMigration('public'),
      mqNotificationDeliveredIndexMigration('public'),
      mqNotificationSourceMessageMigration('public'),
    ]);
    await dataSource.query(PAYMENTS_DDL);
  } finally {
    await dataSource.destroy();
  }
}

export interface NotificationTestApp {
  app: INestApplicationContext;
  service: NotificationService;
  worker: NotificationDeliveryWorker;
  payments: PaymentService;
  registry: Registry;
  dataSource: DataSource;
}

const silentLogger = { log: () => undefined, error: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined };

/** The worker is not started (workerEnabled false): tests drive it with `runOnce()` and a ManualClock. */
export async function createNotificationTestApp(
  databaseUrl: string,
  options: NotificationModuleOptions = {},
  providers: NonNullable<Parameters<typeof Module>[0]>['providers'] = [],
): Promise<NotificationTestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl, entities: [], synchronize: false, extra: { max: 10 } }),
      outboxClsModule(),
      NotificationModule.forRoot({ workerEnabled: false, allowedAddresses: ['127.0.0.1'], ...options }),
    ],
    providers: [PaymentService, ...providers],
  }).compile();
  if (!process.env.NOTIFY_TEST_LOG) moduleRef.useLogger(silentLogger);
  const app = await moduleRef.init();
  return {
    app,
    service: app.get(NotificationService),
    worker: app.get(NotificationDeliveryWorker),
    payments: app.get(PaymentService),
    registry: app.get(NOTIFICATION_METRICS_REGISTRY),
    dataSource: app.get(DataSource),
  };
}

/** One request the receiver got. */
export interface ReceivedRequest {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: IncomingMessage['headers'];
}

/** What the receiver does with the n-th request (1-based): a status, headers, a body, or never answer. */
export type Responder = (
  request: ReceivedRequest,
  nth: number,
) =>
  | { status: number; headers?: Record<string, string>; body?: string; hang?: boolean }
  | Promise<{ status: number; headers?: Record<string, string>; body?: string; hang?: boolean }>;

/** A real HTTP receiver on 127.0.0.1. */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  responder: Responder = () => ({ status: 200, body: 'ok' });
  private server?: Server;
  private readonly hanging = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = (name: string) => String(req.headers[name] ?? '');
    const request: ReceivedRequest = {
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      body: Buffer.concat(chunks).toString('utf8'),
      headers: req.headers,
    };
    this.requests.push(request);
    const answer = await this.responder(request, this.requests.length);
    if (answer.hang) {
      this.hanging.add(res);
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body ?? '');
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

export { ManualClock };
