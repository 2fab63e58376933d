import { FilterExpression, SimpleConsumer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { MessageKeyQueryResponse, MessageTimelineResponse, MessageTimelinesByKeyResponse, TimelineStepView } from '@app/admin-client';
import { run } from '../apps/broker/src/cli/mqadmin';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { receiveAndAck, waitFor } from './support/transaction-test-support';
import { OfficialClients } from '@app/testkit';

/**
 * The broker's message trace (traceTopicEnable, on by default): with no client setting, a
 * transactional message's timeline shows it stored as a half message, the check-back to its
 * producer, the COMMIT that answer made, and each consumer group's delivery and ack, in order,
 * with the time between steps; `mqadmin queryMsgTraceById` prints it; the trace records are found
 * by the message's business key too; a producer's ROLLBACK shows as such; and with the trace
 * switched off there is no trace topic and the timeline is 404.
 */

const TOPIC = 'trace-orders';

async function mqadmin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env: {} });
  return { code, stdout, stderr };
}

describe('broker message trace (traceTopicEnable)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let adminUrl: string;

  beforeAll(async () => {
    broker = await startTestBroker(
      { transactionTimeoutMs: 1_000, transactionCheckIntervalMs: 500, transactionCheckMax: 10 },
      { messaging: { minLongPollingTimeoutMs: 100 }, transaction: { checkScanIntervalMs: 100 } },
    );
    adminUrl = `http://127.0.0.1:${broker.httpPort}`;
    await broker.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  const consumer = (group: string): Promise<SimpleConsumer> =>
    clients.simpleConsumer({ consumerGroup: group, subscriptions: new Map([[TOPIC, FilterExpression.SUB_ALL]]), awaitDuration: 1_000 });

  async function timeline(messageId: string): Promise<{ status: number; body: MessageTimelineResponse }> {
    const response = await fetch(`${adminUrl}/messages/${messageId}/timeline`);
    return { status: response.status, body: (await response.json()) as MessageTimelineResponse };
  }

  it('shows a transaction through a check-back as one timeline: half stored, check-back, COMMIT by the check, each group delivered and acked', async () => {
    const payments = await consumer('trace-payments');
    const audit = await consumer('trace-audit');
    const producer = await clients.producer({ topics: [TOPIC], checker: { check: () => Promise.resolve(TransactionResolution.COMMIT) } });
    // The producer sends the half message and never ends it, as one that died before EndTransaction.
    const receipt = await producer.send({ topic: TOPIC, keys: ['order-9'], tag: 'paid', body: Buffer.from('{"orderId":9}') }, producer.beginTransaction());
    const [paid] = await receiveAndAck(payments, 1, 20_000);
    expect(paid.messageId).toBe(receipt.messageId);
    const [audited] = await receiveAndAck(audit, 1, 20_000);
    expect(audited.messageId).toBe(receipt.messageId);

    let steps: TimelineStepView[] = [];
    await waitFor(
      'two acks in the trace',
      async () => {
        steps = (await timeline(receipt.messageId)).body.steps ?? [];
        return steps.filter((step) => step.type === 'SubAfter').length === 2;
      },
      10_000,
    );
    expect(steps.map((step) => step.type)).toEqual(['Pub', 'CheckBack', 'EndTransaction', ...steps.slice(3).map((step) => step.type)]);
    const [pub, check, end] = steps;
    expect(pub).toMatchObject({ messageId: receipt.messageId, topic: TOPIC, tag: 'paid', keys: ['order-9'], messageType: 'Trans_Msg_Half', bodyLength: 13 });
    expect(pub.clientId).toBe(producer.clientId);
    expect(check).toMatchObject({ clientId: producer.clientId, checkCount: 1, transactionId: receipt.transactionId });
    expect(end).toMatchObject({ resolution: 'COMMIT', source: 'server-check', transactionId: receipt.transactionId });
    // Each group: delivered (attempt 1) before acknowledged, to the consumer that asked.
    for (const [group, client] of [
      ['trace-payments', payments.clientId],
      ['trace-audit', audit.clientId],
    ]) {
      const ofGroup = steps.slice(3).filter((step) => step.group === group);
      expect(ofGroup.map((step) => [step.type, step.clientId])).toEqual([
        ['SubBefore', client],
        ['SubAfter', client],
      ]);
      expect(ofGroup[0].attempt).toBe(1);
    }
    // In time order, with the time from the first step and from the one before.
    for (let i = 1; i < steps.length; i++) {
      expect(steps[i].timeMs).toBeGreaterThanOrEqual(steps[i - 1].timeMs);
      expect(steps[i].sincePreviousMs).toBe(steps[i].timeMs - steps[i - 1].timeMs);
      expect(steps[i].sinceFirstMs).toBe(steps[i].timeMs - steps[0].timeMs);
    }
    // The check-back waited for the transaction timeout (1 s).
    expect(check.sinceFirstMs).toBeGreaterThanOrEqual(900);

    const printed = await mqadmin('queryMsgTraceById', '-n', `127.0.0.1:${broker.httpPort}`, '-i', receipt.messageId);
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^#Type\s+#Time\s+#Since First \(ms\)\s+#Group \/ Topic\s+#Client\s+#Detail$/);
    expect(lines[1]).toMatch(/^Pub\s+.*stored Trans_Msg_Half/);
    expect(lines[2]).toMatch(/^CheckBack\s+.*check-back #1/);
    expect(lines[3]).toMatch(/^EndTransaction\s+.*COMMIT by server-check/);
    expect(lines.filter((line) => line.startsWith('SubAfter'))).toHaveLength(2);

    // The trace records are found by the message's business key as well, as Apache's are (an ack
    // names only the message id: its event is found by the key only when it shares a record).
    const byKey = (await (await fetch(`${adminUrl}/topics/RMQ_SYS_TRACE_TOPIC/messages?key=order-9`)).json()) as MessageKeyQueryResponse;
    const eventsByKey = byKey.messages
      .flatMap((record) => JSON.parse(record.properties.TRACE_EVENT) as TimelineStepView[])
      .filter((event) => event.messageId === receipt.messageId);
    expect(eventsByKey.map((event) => event.type)).toEqual(expect.arrayContaining(['Pub', 'CheckBack', 'EndTransaction', 'SubBefore', 'SubBefore']));
    // A record's body is Apache's layout: its dashboard reads the types it knows.
    expect(Buffer.from(byKey.messages.at(-1)!.bodyBase64, 'base64').toString()).toMatch(/^(Pub|CheckBack|EndTransaction|SubBefore|SubAfter)\u0001/);
  }, 60_000);

  it("shows the producer's own ROLLBACK, and no delivery", async () => {
    const producer = await clients.producer({ topics: [TOPIC], checker: { check: () => Promise.resolve(TransactionResolution.COMMIT) } });
    const transaction = producer.beginTransaction();
    const receipt = await producer.send({ topic: TOPIC, body: Buffer.from('never') }, transaction);
    await transaction.rollback();
    const { status, body } = await timeline(receipt.messageId);
    expect(status).toBe(200);
    expect(body.steps.map((step) => [step.type, step.resolution, step.source])).toEqual([
      ['Pub', undefined, undefined],
      ['EndTransaction', 'ROLLBACK', 'client'],
    ]);
  });

  it('finds the timelines of every message sent with a business key, newest first; 400 without a key, 404 for an unknown one', async () => {
    const producer = await clients.producer({ topics: [TOPIC], checker: { check: () => Promise.resolve(TransactionResolution.COMMIT) } });
    const sent: string[] = [];
    for (const body of ['first', 'second']) {
      const transaction = producer.beginTransaction();
      sent.push((await producer.send({ topic: TOPIC, keys: ['customer-42'], body: Buffer.from(body) }, transaction)).messageId);
      await transaction.rollback();
      // Newest first is by the first step's millisecond: keep the two apart.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const response = await fetch(`${adminUrl}/messages/timeline?key=customer-42`);
    expect(response.status).toBe(200);
    const found = (await response.json()) as MessageTimelinesByKeyResponse;
    expect(found.timelines.map((timeline) => timeline.messageId)).toEqual([...sent].reverse());
    expect(found.timelines[0].steps.map((step) => step.type)).toEqual(['Pub', 'EndTransaction']);
    expect((await fetch(`${adminUrl}/messages/timeline`)).status).toBe(400);
    expect((await fetch(`${adminUrl}/messages/timeline?key=nobody`)).status).toBe(404);
  });

  it('shows when a delayed message is due on its Pub step', async () => {
    await broker.broker.topics.upsert({ name: 'trace-reminders', messageType: 'DELAY', readQueueNums: 1, writeQueueNums: 1 });
    const producer = await clients.producer();
    const deliveryTimestamp = new Date(Date.now() + 60_000);
    const receipt = await producer.send({ topic: 'trace-reminders', deliveryTimestamp, body: Buffer.from('later') });
    // The trace is written in batches off the send path (every 20 ms).
    await waitFor('the Pub step', async () => (await timeline(receipt.messageId)).status === 200, 5_000);
    const { body } = await timeline(receipt.messageId);
    expect(body.steps[0]).toMatchObject({ type: 'Pub', messageType: 'Delay_Msg', deliveryTimestampMs: deliveryTimestamp.getTime() });
  });

  it('answers 404 for a message it has no trace of', async () => {
    const { status } = await timeline('0000000000000000000000000000DEAD');
    expect(status).toBe(404);
  });
});

describe('broker message trace switched off (traceTopicEnable=false)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;

  beforeAll(async () => {
    broker = await startTestBroker({ traceTopicEnable: false });
    await broker.broker.topics.upsert({ name: 'untraced', readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('records nothing: no trace topic, and the timeline is 404 with the reason', async () => {
    const producer = await clients.producer();
    const receipt = await producer.send({ topic: 'untraced', body: Buffer.from('x') });
    const response = await fetch(`http://127.0.0.1:${broker.httpPort}/messages/${receipt.messageId}/timeline`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('traceTopicEnable=false');
    expect(broker.broker.topics.get('RMQ_SYS_TRACE_TOPIC')).toBeUndefined();
    expect(broker.broker.trace).toBeUndefined();
  });
});
