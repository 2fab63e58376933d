import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { ClientRocketMQ, MqConsumerRegistry, MqContext, MqError, MqRecord, ServerRocketMQ, ServerRocketMQOptions } from '@app/mq';

/**
 * The @nestjs/microservices transport: @EventPattern handlers consume through ServerRocketMQ
 * (default and per-handler groups, tag filters, retry through the context), ClientRocketMQ.emit
 * produces, and @MessagePattern fails listen() with MQ_ERR_REQUEST_REPLY_UNSUPPORTED.
 */

const received: Array<{ handler: string; payload: unknown; tag?: string; group?: string; attempt: number }> = [];

@Controller()
class EventsController {
  private failedOnce = new Set<string>();

  @EventPattern('shipments')
  onShipment(@Payload() payload: { id: number }, @Ctx() context: MqContext): void {
    const message = context.getMessage();
    received.push({ handler: 'shipment', payload, tag: message.tag, group: message.consumerGroup, attempt: message.deliveryAttempt });
  }

  @EventPattern('alerts', { group: 'alert-pager', filter: 'urgent' })
  async onAlert(@Payload() payload: { text: string }, @Ctx() context: MqContext): Promise<void> {
    const message = context.getMessage();
    if (!this.failedOnce.has(message.messageId)) {
      this.failedOnce.add(message.messageId);
      throw new Error('pager busy, retry');
    }
    received.push({ handler: 'alert', payload, tag: message.tag, group: message.consumerGroup, attempt: message.deliveryAttempt });
  }
}

@Controller()
class RequestReplyController {
  @MessagePattern('quotes')
  quote(): number {
    return 42;
  }
}

describe('RocketMQ transport (ServerRocketMQ + ClientRocketMQ)', () => {
  let broker: TestBroker;
  let client: ClientRocketMQ;

  beforeAll(async () => {
    broker = await startTestBroker(
      {},
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
      },
    );
    for (const name of ['shipments', 'alerts', 'quotes']) await broker.broker.topics.upsert({ name, readQueueNums: 2, writeQueueNums: 2 });
    client = new ClientRocketMQ({ endpoints: broker.grpcEndpoint, logger: false });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await broker?.stop();
  });

  function serverOptions(): ServerRocketMQOptions {
    return {
      endpoints: broker.grpcEndpoint,
      logger: false,
      group: 'shipping-service',
      consumer: { invisibleDurationMs: 5_000 },
      consumers: { retryDelaysMs: [200], longPollingTimeoutMs: 500, shutdownTimeoutMs: 5_000 },
    };
  }

  async function microservice(controller: new () => object, options: ServerRocketMQOptions): Promise<INestMicroservice> {
    @Module({ controllers: [controller] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    moduleRef.useLogger(false);
    return moduleRef.createNestMicroservice({ strategy: new ServerRocketMQ(options) });
  }

  async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  // Produced through the transport's own client, as an application would: emit() resolves once sent.
  const emit = (topic: string, payload: unknown, tag?: string) =>
    lastValueFrom(client.emit(topic, new MqRecord(payload, { tag })), { defaultValue: undefined });

  it('consumes with @EventPattern handlers, per-handler group and filter, retrying a failed one', async () => {
    const registry = new MqConsumerRegistry();
    const app = await microservice(EventsController, { ...serverOptions(), registry });
    await app.listen();
    try {
      expect(registry.list().map(({ name, group, state }) => ({ name, group, state }))).toEqual([
        { name: 'transport:shipments', group: 'shipping-service', state: 'running' },
        { name: 'transport:alerts', group: 'alert-pager', state: 'running' },
      ]);
      await emit('shipments', { id: 7 });
      await emit('shipments', { id: 8 }, 'express');
      await emit('alerts', { text: 'ignored' }, 'routine');
      await emit('alerts', { text: 'disk full' }, 'urgent');
      await eventually(() => received.filter((r) => r.handler === 'shipment').length >= 2 && received.some((r) => r.handler === 'alert'));
      expect(received.filter((r) => r.handler === 'shipment').sort((a, b) => (a.payload as { id: number }).id - (b.payload as { id: number }).id)).toEqual([
        { handler: 'shipment', payload: { id: 7 }, tag: undefined, group: 'shipping-service', attempt: 1 },
        { handler: 'shipment', payload: { id: 8 }, tag: 'express', group: 'shipping-service', attempt: 1 },
      ]);
      expect(received.filter((r) => r.handler === 'alert')).toEqual([
        { handler: 'alert', payload: { text: 'disk full' }, tag: 'urgent', group: 'alert-pager', attempt: 2 },
      ]);
    } finally {
      await app.close();
    }
    expect(registry.list()).toEqual([]);
  });

  it('refuses @MessagePattern handlers at listen() with MQ_ERR_REQUEST_REPLY_UNSUPPORTED', async () => {
    const app = await microservice(RequestReplyController, serverOptions());
    const error = await app.listen().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MqError);
    expect(error).toMatchObject({ code: 'MQ_ERR_REQUEST_REPLY_UNSUPPORTED' });
    expect((error as Error).message).toContain('quotes');
    await app.close();
  });

  it('refuses request/response on the client too', async () => {
    const error = await lastValueFrom(client.send('quotes', {})).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MQ_ERR_REQUEST_REPLY_UNSUPPORTED' });
  });
});
