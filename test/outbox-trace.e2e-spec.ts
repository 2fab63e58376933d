import { INestApplicationContext, Injectable } from '@nestjs/common';
import { MessageKeyQueryResponse, MessageTimelineResponse, TimelineStepView } from '@app/admin-client';
import { MqMessage, MqTraceReporter } from '@app/mq';
import { IdempotentConsumer } from '@app/outbox';
import { TestBroker } from './support/broker-harness';
import { createOutboxTestApp, ORDER_TOPIC, OrderService } from './support/outbox-tx-app';
import { startOutboxBroker } from './support/outbox-tx-test-kit';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/transaction-test-support';

/**
 * The application's side of the message trace (libs/mq's MqTraceReporter, on by default): a
 * @TransactionalMessage's local transaction and an @IdempotentConsumer's outcome reach the trace
 * topic, and the broker's timeline shows them among its own steps: half stored, local commit,
 * EndTransaction by the producer, delivery, the handler applied, ack; a redelivered duplicate
 * shows as skipped.
 */

const GROUP = 'trace-billing';

@Injectable()
class Billing {
  @IdempotentConsumer({ topic: ORDER_TOPIC, group: GROUP, concurrency: 4 })
  async onOrder(_message: MqMessage): Promise<void> {}
}

describe('message trace: the application side (libs/mq, libs/outbox)', () => {
  let database: TestDatabase;
  let broker: TestBroker;
  let app: INestApplicationContext;
  let adminUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    broker = await startOutboxBroker();
    adminUrl = `http://127.0.0.1:${broker.httpPort}`;
    app = await createOutboxTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint, providers: [Billing] });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await broker?.stop();
    await database?.drop();
  });

  async function messageIdOf(key: string): Promise<string> {
    const found = (await (await fetch(`${adminUrl}/topics/${ORDER_TOPIC}/messages?key=${key}`)).json()) as MessageKeyQueryResponse;
    return found.messages[0].messageId;
  }

  async function stepsOf(messageId: string): Promise<TimelineStepView[]> {
    const response = await fetch(`${adminUrl}/messages/${messageId}/timeline`);
    return response.status === 200 ? ((await response.json()) as MessageTimelineResponse).steps : [];
  }

  it("shows the local commit and the consumer's effect between the broker's steps, in time order", async () => {
    await app.get(OrderService).createOrder('o-trace-1', 'book');
    const messageId = await messageIdOf('o-trace-1');
    let steps: TimelineStepView[] = [];
    await waitFor(
      'the consumer step in the timeline',
      async () => {
        await app.get(MqTraceReporter).flush();
        steps = await stepsOf(messageId);
        return steps.some((step) => step.type === 'Consumed') && steps.some((step) => step.type === 'SubAfter');
      },
      20_000,
    ).catch((error: unknown) => {
      const reporter = app.get(MqTraceReporter);
      throw new Error(
        `${(error as Error).message}; steps ${JSON.stringify(steps.map((s) => s.type))}, trace events sent ${reporter.sentEvents}, dropped ${reporter.droppedEvents}`,
      );
    });
    const step = (type: TimelineStepView['type']): TimelineStepView => {
      const found = steps.find((candidate) => candidate.type === type);
      if (!found) throw new Error(`no ${type} step in ${JSON.stringify(steps)}`);
      return found;
    };
    expect(step('Pub')).toMatchObject({ messageType: 'Trans_Msg_Half', keys: ['o-trace-1'] });
    expect(step('LocalTransaction')).toMatchObject({ outcome: 'committed', keys: ['o-trace-1'], topic: ORDER_TOPIC });
    expect(step('EndTransaction')).toMatchObject({ resolution: 'COMMIT', source: 'client' });
    expect(step('Consumed')).toMatchObject({ outcome: 'applied', group: GROUP });
    expect(step('LocalTransaction').durationMs).toBeGreaterThanOrEqual(0);
    // Each step no earlier than the one it follows (ties within a millisecond are possible).
    const order: Array<TimelineStepView['type']> = ['Pub', 'LocalTransaction', 'EndTransaction', 'SubBefore', 'Consumed', 'SubAfter'];
    for (let i = 1; i < order.length; i++) expect(step(order[i]).timeMs).toBeGreaterThanOrEqual(step(order[i - 1]).timeMs);
    expect(app.get(MqTraceReporter).droppedEvents).toBe(0);
  }, 40_000);
});
