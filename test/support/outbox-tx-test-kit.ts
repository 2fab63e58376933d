import { INestApplicationContext } from '@nestjs/common';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { DataSource } from 'typeorm';
import { BrokerConfig } from '../../apps/broker/src/config/broker-config';
import { startTestBroker, TestBroker } from './broker-harness';
import { ORDER_TOPIC } from './outbox-tx-app';
import { OfficialClients } from '@app/testkit';

/** Check-back timing of the outbox tests: the first check 800 ms after a half message, then every 400 ms. */
export const OUTBOX_TX_BROKER = { transactionTimeoutMs: 800, transactionCheckIntervalMs: 400, transactionCheckMax: 30 } as const;

/**
 * A broker for the outbox tests with the order topic (TRANSACTION) and fast check-backs;
 * `overrides` over those (`{ transactionExtensionsEnabled: false }`: as Apache RocketMQ).
 */
export async function startOutboxBroker(overrides: Partial<BrokerConfig> = {}): Promise<TestBroker> {
  const broker = await startTestBroker(
    { ...OUTBOX_TX_BROKER, ...overrides },
    {
      messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 },
      transaction: { checkScanIntervalMs: 100 },
    },
  );
  await broker.broker.topics.upsert({ name: ORDER_TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
  return broker;
}

/** A consumer of the order topic in its own group. */
export function orderReader(clients: OfficialClients, group: string): Promise<SimpleConsumer> {
  return clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[ORDER_TOPIC, '*']]), awaitDuration: 500 });
}

/** Rows of `orders` and `mq_transaction` as the database has them now. */
export async function databaseState(app: INestApplicationContext, schema = 'public'): Promise<{ orders: string[]; decisions: Map<string, string> }> {
  const dataSource = app.get(DataSource);
  const orders = await dataSource.query<Array<{ id: string }>>('SELECT id FROM orders ORDER BY id');
  const decisions = await dataSource.query<Array<{ message_id: string; status: string }>>(`SELECT message_id, status FROM "${schema}".mq_transaction`);
  return { orders: orders.map((row) => row.id), decisions: new Map(decisions.map((row) => [row.message_id, row.status])) };
}

/** Half messages of `topic` the broker still has pending (not committed, not rolled back). */
export function pendingHalfMessages(broker: TestBroker, topic = ORDER_TOPIC): string[] {
  return broker.broker.transactions
    .list()
    .filter((view) => view.topic === topic)
    .map((view) => view.messageId);
}

/** A promise with its resolve, to hold a transaction open until the test lets it go. */
export function latch(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}
