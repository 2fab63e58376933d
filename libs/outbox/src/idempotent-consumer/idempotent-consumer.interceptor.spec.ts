import { Injectable } from '@nestjs/common';
import { ExternalContextCreator } from '@nestjs/core';
import { Test, TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import type { MqMessage } from '@app/mq';
import { OutboxDatabase } from '../outbox-database';
import { FakeMqProducer, InMemoryOutboxDatabase, inMemoryOutboxProviders, InMemoryTable } from '../testing';
import { IdempotentConsumer } from './idempotent-consumer.decorator';

/** A consumer whose effect (a ledger row) is written in the delivery's local transaction. */
@Injectable()
class LedgerConsumer {
  readonly ledger = new InMemoryTable<{ messageId: string }>();
  readonly handled: string[] = [];
  /** Keys whose handler throws. */
  readonly failing = new Set<string>();

  constructor(private readonly database: OutboxDatabase) {}

  @IdempotentConsumer({ topic: 'payments', group: 'ledger' })
  async onPayment(message: MqMessage): Promise<string> {
    return this.apply(message);
  }

  @IdempotentConsumer({ topic: 'payments', group: 'ledger-batched', groupCommit: true })
  async onPaymentBatched(message: MqMessage): Promise<string> {
    return this.apply(message);
  }

  private async apply(message: MqMessage): Promise<string> {
    this.handled.push(message.messageId);
    await this.ledger.insert(message.messageId, { messageId: message.messageId }, (this.database as InMemoryOutboxDatabase).runner.currentTransaction());
    if (this.failing.has(message.keys[0])) throw new Error(`cannot apply ${message.keys[0]}`);
    return `applied ${message.messageId}`;
  }
}

function message(messageId: string, keys: string[]): MqMessage {
  return { payload: {}, body: Buffer.alloc(0), topic: 'payments', messageId, keys, deliveryAttempt: 1, properties: {} };
}

describe('IdempotentConsumerInterceptor (in memory, through Nest’s interceptor chain)', () => {
  let app: TestingModule;
  let database: InMemoryOutboxDatabase;
  let registry: Registry;
  let consumer: LedgerConsumer;
  let deliver: (message: MqMessage) => Promise<unknown>;
  let deliverBatched: (message: MqMessage) => Promise<unknown>;

  beforeEach(async () => {
    database = new InMemoryOutboxDatabase();
    registry = new Registry();
    app = await Test.createTestingModule({
      providers: [...inMemoryOutboxProviders({ database, producer: new FakeMqProducer(), options: { metrics: { registry } } }), LedgerConsumer],
    }).compile();
    consumer = app.get(LedgerConsumer);
    // As libs/mq's explorer calls a handler: through the context creator, so @UseInterceptors applies.
    const contextCreator = app.get(ExternalContextCreator);
    // The handler itself goes in: the interceptor reads @IdempotentConsumer's metadata from it.
    const handlerOf = (name: 'onPayment' | 'onPaymentBatched') =>
      contextCreator.create(consumer, consumer[name] as (...args: unknown[]) => unknown, name, undefined, undefined, undefined, undefined, {
        interceptors: true,
        guards: true,
        // Errors reach the caller as they are (no exception filter logging them on the way).
        filters: false,
      }) as (message: MqMessage) => Promise<unknown>;
    deliver = handlerOf('onPayment');
    deliverBatched = handlerOf('onPaymentBatched');
  });

  afterEach(async () => {
    await app.close();
  });

  const consumedKeys = (group: string): string[] =>
    database.store
      .consumed()
      .filter((row) => row.consumerGroup === group)
      .map((row) => row.messageKey);

  async function duplicatesSkipped(group: string): Promise<number> {
    const metric = await registry.getSingleMetric('mq_consumer_duplicates_skipped_total')!.get();
    return metric.values.find((value) => value.labels.consumer_group === group)?.value ?? 0;
  }

  it('a new key runs the handler: its effect and the mq_consumed row commit together', async () => {
    await expect(deliver(message('m-1', ['pay-1']))).resolves.toBe('applied m-1');
    expect(consumer.handled).toEqual(['m-1']);
    expect(consumer.ledger.get('m-1')).toEqual({ messageId: 'm-1' });
    expect(consumedKeys('ledger')).toEqual(['pay-1']);
  });

  it('a duplicate key skips the handler and resolves (the message is acked), counted as a duplicate', async () => {
    await deliver(message('m-1', ['pay-1']));
    // The same business key again, as a producer retry or a redelivery brings it.
    await expect(deliver(message('m-2', ['pay-1']))).resolves.toBeUndefined();
    expect(consumer.handled).toEqual(['m-1']);
    expect(consumer.ledger.get('m-2')).toBeUndefined();
    expect(await duplicatesSkipped('ledger')).toBe(1);
    // Another group has a dedupe window of its own.
    await expect(deliverBatched(message('m-2', ['pay-1']))).resolves.toBe('applied m-2');
  });

  it('without keys the message id is the key', async () => {
    await deliver(message('m-1', []));
    await deliver(message('m-1', []));
    await deliver(message('m-2', []));
    expect(consumer.handled).toEqual(['m-1', 'm-2']);
    expect(consumedKeys('ledger')).toEqual(['m-1', 'm-2']);
  });

  it('a throwing handler rolls back its effect and the key, so the redelivery runs it again', async () => {
    consumer.failing.add('pay-1');
    await expect(deliver(message('m-1', ['pay-1']))).rejects.toThrow('cannot apply pay-1');
    expect(consumer.ledger.get('m-1')).toBeUndefined();
    expect(consumedKeys('ledger')).toEqual([]);

    consumer.failing.clear();
    await expect(deliver(message('m-1', ['pay-1']))).resolves.toBe('applied m-1');
    expect(consumer.handled).toEqual(['m-1', 'm-1']);
    expect(consumer.ledger.get('m-1')).toBeDefined();
    expect(consumedKeys('ledger')).toEqual(['pay-1']);
    expect(await duplicatesSkipped('ledger')).toBe(0);
  });

  it('group commit: one turn’s deliveries share a transaction; a failing one is retried alone and only it fails', async () => {
    consumer.failing.add('pay-2');
    const outcomes = await Promise.allSettled([
      deliverBatched(message('m-1', ['pay-1'])),
      deliverBatched(message('m-2', ['pay-2'])),
      deliverBatched(message('m-3', ['pay-1'])),
    ]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'applied m-1' },
      { status: 'rejected', reason: expect.objectContaining({ message: 'cannot apply pay-2' }) },
      { status: 'fulfilled', value: undefined },
    ]);
    // The batch ran m-1 and m-2 and rolled back; then each delivery alone: m-1 applied, m-2 failed, m-3 a duplicate.
    expect(consumer.handled).toEqual(['m-1', 'm-2', 'm-1', 'm-2']);
    expect(consumedKeys('ledger-batched')).toEqual(['pay-1']);
    expect(consumer.ledger.get('m-1')).toBeDefined();
    expect(consumer.ledger.get('m-2')).toBeUndefined();
  });
});
