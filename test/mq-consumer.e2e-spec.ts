import {
  CallHandler,
  CanActivate,
  ExecutionContext,
  Injectable,
  Module,
  NestInterceptor,
  PipeTransform,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { INestApplicationContext } from '@nestjs/common';
import { Producer } from 'rocketmq-client-nodejs';
import { Observable, tap } from 'rxjs';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { OfficialClients } from '@app/testkit';
import { MqConsumer, MqConsumerRegistry, MqError, MqHealthIndicator, MqMessage, MqModule, MqPayload, MqProducer, resolveMqOptions } from '@app/mq';

/**
 * @MqConsumer handlers against the in-process broker: JSON payloads with their context, tag and
 * SQL filters, retry then success, a poison message in the dead-letter queue, Nest enhancers
 * around the handler, and invalid declarations failing startup.
 */

const seen: Record<string, MqMessage[]> = {};
function record(name: string, message: MqMessage): void {
  (seen[name] ??= []).push(message);
}

/** Records which enhancers ran, in the order they did. */
const trail: string[] = [];

@Injectable()
class TrailGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const message = context.getArgByIndex<MqMessage<{ allowed: boolean }>>(0);
    trail.push(`guard:${context.getType()}`);
    return message.payload.allowed;
  }
}

@Injectable()
class TrailInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    trail.push('interceptor:before');
    return next.handle().pipe(tap(() => trail.push('interceptor:after')));
  }
}

class UpperCasePipe implements PipeTransform {
  transform(value: unknown): unknown {
    return typeof value === 'string' ? value.toUpperCase() : value;
  }
}

@Injectable()
class OrderHandlers {
  private failuresLeft = new Map<string, number>();

  @MqConsumer({ topic: 'orders', group: 'order-reader', invisibleDurationMs: 5_000 })
  async onOrder(message: MqMessage<{ id: number }>): Promise<void> {
    record('orders', message);
  }

  @MqConsumer({ topic: 'tagged', group: 'tag-reader', filter: 'TagA||TagC' })
  async onTagged(message: MqMessage): Promise<void> {
    record('tagged', message);
  }

  @MqConsumer({ topic: 'regional', group: 'sql-reader', filter: { sql: "region = 'eu' AND amount > 10" } })
  async onRegional(message: MqMessage): Promise<void> {
    record('regional', message);
  }

  @MqConsumer({ topic: 'flaky', group: 'flaky-reader', invisibleDurationMs: 5_000 })
  async onFlaky(message: MqMessage<{ failures: number }>): Promise<void> {
    record('flaky', message);
    const left = this.failuresLeft.get(message.messageId) ?? message.payload.failures;
    this.failuresLeft.set(message.messageId, left - 1);
    if (left > 0) throw new Error(`failing on purpose, ${left} left`);
  }

  @MqConsumer({ topic: 'poison', group: 'poison-reader', maxAttempts: 2 })
  async onPoison(message: MqMessage): Promise<void> {
    record('poison', message);
    throw new Error('never works');
  }

  @UseGuards(TrailGuard)
  @UseInterceptors(TrailInterceptor)
  @UsePipes(UpperCasePipe)
  @MqConsumer({ topic: 'guarded', group: 'guarded-reader', maxAttempts: 1 })
  async onGuarded(@MqPayload('text') text: string): Promise<void> {
    trail.push(`handler:${text}`);
  }
}

describe('@MqConsumer', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;
  let app: INestApplicationContext;

  beforeAll(async () => {
    broker = await startTestBroker(
      {},
      {
        messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 2_000 },
        delivery: { minReceiveInvisibleDurationMs: 1_000 },
      },
    );
    for (const name of ['orders', 'tagged', 'regional', 'flaky', 'poison', 'guarded']) {
      await broker.broker.topics.upsert({ name, readQueueNums: 2, writeQueueNums: 2 });
    }
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer();

    @Module({
      imports: [
        MqModule.forRoot({
          endpoints: broker.grpcEndpoint,
          logger: false,
          consumers: { retryDelaysMs: [300, 600], longPollingTimeoutMs: 1_000, shutdownTimeoutMs: 5_000 },
        }),
        TerminusModule,
      ],
      providers: [OrderHandlers, TrailGuard, TrailInterceptor, MqHealthIndicator],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    // Nest's external exception filter logs every failing handler; the failures here are on purpose.
    moduleRef.useLogger(false);
    app = await moduleRef.init();
  });

  afterAll(async () => {
    await app?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function send(topic: string, payload: unknown, extra: { tag?: string; keys?: string[]; properties?: Record<string, string> } = {}) {
    return producer.send({
      topic,
      body: Buffer.from(JSON.stringify(payload)),
      tag: extra.tag,
      keys: extra.keys,
      properties: extra.properties ? new Map(Object.entries(extra.properties)) : undefined,
    });
  }

  it('hands the decoded payload and its context to the handler, then acknowledges it', async () => {
    const receipts = [];
    for (let id = 0; id < 10; id++) receipts.push(await send('orders', { id }, { tag: 'created', keys: [`order-${id}`], properties: { n: String(id) } }));
    await eventually(() => (seen.orders?.length ?? 0) >= 10);
    const byId = new Map(seen.orders.map((m) => [m.messageId, m]));
    for (const [id, receipt] of receipts.entries()) {
      const message = byId.get(receipt.messageId)!;
      expect(message).toMatchObject({
        payload: { id },
        topic: 'orders',
        tag: 'created',
        keys: [`order-${id}`],
        properties: { n: String(id) },
        deliveryAttempt: 1,
        consumerGroup: 'order-reader',
      });
      expect(message.bornAt).toBeInstanceOf(Date);
    }
    await eventually(() => broker.broker.delivery.progress('order-reader').every((row) => row.inFlight === 0 && row.lag === 0));
    expect(app.get(MqConsumerRegistry).allRunning()).toBe(true);
  });

  it('delivers only what the tag filter and the SQL filter select', async () => {
    for (const tag of ['TagA', 'TagB', 'TagC', 'TagB']) await send('tagged', { tag }, { tag });
    await send('regional', { n: 1 }, { properties: { region: 'eu', amount: '50' } });
    await send('regional', { n: 2 }, { properties: { region: 'us', amount: '50' } });
    await send('regional', { n: 3 }, { properties: { region: 'eu', amount: '5' } });
    await send('regional', { n: 4 }, { properties: { region: 'eu', amount: '11' } });
    await eventually(() => (seen.tagged?.length ?? 0) >= 2 && (seen.regional?.length ?? 0) >= 2);
    await eventually(() => ['tag-reader', 'sql-reader'].every((g) => broker.broker.delivery.progress(g).every((row) => row.lag === 0 && row.inFlight === 0)));
    expect(seen.tagged.map((m) => m.tag).sort()).toEqual(['TagA', 'TagC']);
    expect(seen.regional.map((m) => (m.payload as { n: number }).n).sort()).toEqual([1, 4]);
  });

  it('redelivers a failed message after the retry delay with the next delivery attempt, until it succeeds', async () => {
    const { messageId } = await send('flaky', { failures: 2 });
    await eventually(() => (seen.flaky ?? []).filter((m) => m.messageId === messageId).length >= 3);
    const deliveries = seen.flaky.filter((m) => m.messageId === messageId);
    expect(deliveries.map((m) => m.deliveryAttempt)).toEqual([1, 2, 3]);
    await eventually(() => broker.broker.delivery.progress('flaky-reader').every((row) => row.inFlight === 0 && row.lag === 0));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(seen.flaky.filter((m) => m.messageId === messageId)).toHaveLength(3);
  });

  it("moves a message that fails maxAttempts times to the group's dead-letter queue", async () => {
    const { messageId } = await send('poison', { never: true });
    await eventually(() => (seen.poison ?? []).length >= 2);
    const dlq = await clients.simpleConsumer({ consumerGroup: 'dlq-inspector', subscriptions: new Map([['%DLQ%poison-reader', '*']]), awaitDuration: 1_000 });
    const dead = [];
    const deadline = Date.now() + 10_000;
    while (dead.length === 0 && Date.now() < deadline) dead.push(...(await dlq.receive(1, 5_000)));
    expect(dead[0]).toMatchObject({ messageId, topic: '%DLQ%poison-reader' });
    expect(JSON.parse(dead[0].body.toString())).toEqual({ never: true });
    await dlq.ack(dead[0]);
    expect(seen.poison.map((m) => m.deliveryAttempt)).toEqual([1, 2]);
  });

  it('runs guards, interceptors and pipes around the handler (context type "rocketmq")', async () => {
    await send('guarded', { allowed: true, text: 'hello' });
    await eventually(() => trail.includes('interceptor:after'));
    expect(trail).toEqual(['guard:rocketmq', 'interceptor:before', 'handler:HELLO', 'interceptor:after']);
    trail.length = 0;
    await send('guarded', { allowed: false, text: 'denied' });
    await eventually(() => trail.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(trail).toEqual(['guard:rocketmq']);
  });

  it('reports health: producer and consumers running, broker reachable; down when no endpoint answers', async () => {
    const result = await app.get(MqHealthIndicator).isHealthy('mq');
    expect(result.mq).toMatchObject({ status: 'up', producerRunning: true, brokerReachable: true });
    const consumers = (result.mq as unknown as { consumers: Array<{ name: string; state: string }> }).consumers;
    expect(consumers.map((c) => c.name)).toContain('OrderHandlers.onOrder');
    expect(consumers.every((c) => c.state === 'running')).toBe(true);

    const unreachable = new MqHealthIndicator(
      app.get(HealthIndicatorService),
      app.get(MqConsumerRegistry),
      resolveMqOptions({ endpoints: '127.0.0.1:1', logger: false }),
      app.get(MqProducer),
    );
    expect((await unreachable.isHealthy('mq', { timeoutMs: 500 })).mq).toMatchObject({ status: 'down', brokerReachable: false });
  });

  it('fails startup with MQ_ERR_INVALID_OPTIONS for an invalid declaration', async () => {
    @Injectable()
    class Broken {
      @MqConsumer({ topic: 'orders', group: 'broken', concurrency: 0 })
      async handle(): Promise<void> {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [MqModule.forRoot({ endpoints: broker.grpcEndpoint, logger: false })],
      providers: [Broken],
    }).compile();
    const error = await moduleRef.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MqError);
    expect(error).toMatchObject({ code: 'MQ_ERR_INVALID_OPTIONS' });
    expect((error as Error).message).toContain('Broken.handle');
    // close() awaits the failed initialization again and rethrows its error.
    await moduleRef.close().catch(() => undefined);
  });
});
