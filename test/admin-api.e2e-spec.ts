import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { MessageInput } from '../apps/broker/src/store/message-record';
import { FileMessageStore } from '../apps/broker/src/store/file-message-store';
import { DeadLetterProperty } from '../apps/broker/src/delivery/dead-letter-queue';
import { DeliveryService } from '../apps/broker/src/delivery/delivery-service';
import { ReceivedMessage } from '../apps/broker/src/delivery/delivery.types';
import { TopicRegistry } from '../apps/broker/src/topics/topic-registry';
import { AdminApp, startAdminApp } from './support/admin-app';
import { queueForMessageGroup } from '../apps/broker/src/topics/write-queue';

/**
 * The admin REST API over a real FileMessageStore and TopicRegistry in a temp directory. Each
 * `describe` block works on its own topics, so the cases do not depend on each other's order.
 */
describe('admin REST API', () => {
  let admin: AdminApp;
  let store: FileMessageStore;
  let topics: TopicRegistry;
  let delivery: DeliveryService;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  async function append(input: Partial<MessageInput> & { topic: string; messageId: string }): Promise<void> {
    const result = await store.append({ queueId: 0, bornTimestampMs: Date.now(), body: Buffer.from(`body of ${input.messageId}`), ...input });
    if (result.status !== 'ok') throw new Error(`append failed: ${JSON.stringify(result)}`);
  }

  beforeAll(async () => {
    admin = await startAdminApp('admin-api-');
    ({ store, topics, delivery, app } = admin);
  });

  afterAll(async () => {
    await admin?.close();
  });

  describe('topics', () => {
    it('creates a topic with defaults, updates only the given fields, and lists it', async () => {
      const created = await http().put('/topics/orders').send({}).expect(200);
      expect(created.body).toEqual({
        created: true,
        topic: { name: 'orders', readQueueNums: 8, writeQueueNums: 8, perm: 6, messageType: 'NORMAL', system: false },
      });
      const updated = await http().put('/topics/orders').send({ perm: 4, messageType: 'fifo' }).expect(200);
      expect(updated.body).toEqual({ created: false, topic: expect.objectContaining({ readQueueNums: 8, perm: 4, messageType: 'FIFO' }) });
      const list = await http().get('/topics').expect(200);
      expect(list.body.topics.map((t: { name: string }) => t.name)).toContain('orders');
    });

    it('reports per-queue offsets and the newest store time', async () => {
      await http().put('/topics/status-topic').send({ readQueueNums: 2, writeQueueNums: 2 }).expect(200);
      const before = Date.now();
      for (const id of ['s1', 's2', 's3']) await append({ topic: 'status-topic', queueId: 1, messageId: id });
      const { body } = await http().get('/topics/status-topic').expect(200);
      expect(body.config).toMatchObject({ name: 'status-topic', readQueueNums: 2 });
      expect(body.totalMessages).toBe(3);
      expect(body.queues).toEqual([
        { queueId: 0, minOffset: 0, maxOffset: 0, lastUpdateTimestampMs: null },
        { queueId: 1, minOffset: 0, maxOffset: 3, lastUpdateTimestampMs: expect.any(Number) },
      ]);
      expect(body.queues[1].lastUpdateTimestampMs).toBeGreaterThanOrEqual(before);
    });

    it('deletes a topic, then answers 404 for it', async () => {
      await http().put('/topics/short-lived').send({ writeQueueNums: 1 }).expect(200);
      expect((await http().delete('/topics/short-lived').expect(200)).body).toEqual({ deleted: 'short-lived' });
      await http().get('/topics/short-lived').expect(404);
      await http().delete('/topics/short-lived').expect(404);
    });

    it.each([
      ['a%20b', {}, 'BROKER_ERR_INVALID_TOPIC', 'characters'],
      ['TBW102', {}, 'BROKER_ERR_INVALID_TOPIC', 'reserved'],
      ['%25DLQ%25g', {}, 'BROKER_ERR_INVALID_TOPIC', 'reserved'],
      ['bad-queues', { readQueueNums: 0 }, 'BROKER_ERR_INVALID_TOPIC', 'readQueueNums'],
      ['bad-queues', { writeQueueNums: 5000 }, 'BROKER_ERR_INVALID_TOPIC', 'writeQueueNums'],
      ['bad-type', { messageType: 'BATCH' }, 'BROKER_ERR_INVALID_TOPIC', 'messageType'],
      ['bad-perm', { perm: 'rw' }, undefined, 'perm must be an integer'],
      ['typo', { readQueueNum: 4 }, undefined, 'unknown field'],
    ])('answers 400 for PUT /topics/%s %j', async (name, body, code, reason) => {
      const response = await http().put(`/topics/${name}`).send(body).expect(400);
      if (code) expect(response.body.code).toBe(code);
      expect(response.body.message).toContain(reason);
    });

    it('answers 400 for a body that is not a JSON object, and for malformed JSON', async () => {
      await http().put('/topics/arr').send([1, 2]).expect(400);
      await http().put('/topics/bad-json').set('content-type', 'application/json').send('{"perm":').expect(400);
    });

    it('refuses to delete a system topic with 400', async () => {
      const response = await http().delete('/topics/SCHEDULE_TOPIC_XXXX').expect(400);
      expect(response.body.code).toBe('BROKER_ERR_INVALID_TOPIC');
    });

    it('answers 404 for an unknown topic', async () => {
      await http().get('/topics/nope').expect(404);
    });
  });

  describe('messages', () => {
    beforeAll(async () => {
      await topics.upsert({ name: 'keyed' });
      await append({ topic: 'keyed', messageId: 'm-1', keys: ['order-1'], tag: 'created', properties: { a: 'b' } });
      await append({ topic: 'keyed', messageId: 'm-2', keys: ['order-1', 'x'], body: Buffer.from([0xff, 0x00, 0x41]) });
      await append({ topic: 'keyed', messageId: 'm-3', keys: ['order-2'] });
    });

    it('finds a message by id with its body as base64 and a UTF-8 preview', async () => {
      const { body } = await http().get('/messages/m-1').expect(200);
      expect(body.messageId).toBe('m-1');
      expect(body.records).toHaveLength(1);
      expect(body.records[0]).toMatchObject({
        messageId: 'm-1',
        topic: 'keyed',
        recordType: 'NORMAL',
        queueOffset: 0,
        tag: 'created',
        keys: ['order-1'],
        properties: { a: 'b' },
        bodyBase64: Buffer.from('body of m-1').toString('base64'),
        bodyUtf8Preview: 'body of m-1',
        bodyPreviewTruncated: false,
      });
    });

    it('keeps binary bodies exact in base64', async () => {
      const { body } = await http().get('/messages/m-2').expect(200);
      expect(Buffer.from(body.records[0].bodyBase64, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    });

    it('answers 404 for an unknown message id', async () => {
      await http().get('/messages/nothing-here').expect(404);
    });

    it('finds messages by key, newest first, at most max', async () => {
      const { body } = await http().get('/topics/keyed/messages?key=order-1').expect(200);
      expect(body.messages.map((m: { messageId: string }) => m.messageId)).toEqual(['m-2', 'm-1']);
      const one = await http().get('/topics/keyed/messages?key=order-1&max=1').expect(200);
      expect(one.body.messages).toHaveLength(1);
    });

    it('answers 400 without a key or with a bad max, 404 for an unknown topic', async () => {
      await http().get('/topics/keyed/messages').expect(400);
      await http().get('/topics/keyed/messages?key=k&max=0').expect(400);
      await http().get('/topics/keyed/messages?key=k&max=abc').expect(400);
      await http().get('/topics/nope/messages?key=k').expect(404);
    });
  });

  describe('dead-letter queue', () => {
    beforeAll(async () => {
      await topics.upsert({ name: 'payments', writeQueueNums: 4 });
      await topics.upsertGroup({ group: 'billing' });
      const dlq = '%DLQ%billing';
      await append({
        topic: dlq,
        messageId: 'dead-1',
        keys: ['p-1'],
        properties: { [DeadLetterProperty.OriginTopic]: 'payments', [DeadLetterProperty.ReconsumeTimes]: '16', u: 'v' },
      });
      await append({ topic: dlq, messageId: 'dead-2', properties: { u: 'w' } });
    });

    it('lists the newest dead letters of a group', async () => {
      const { body } = await http().get('/groups/billing/dlq').expect(200);
      expect(body).toMatchObject({ group: 'billing', topic: '%DLQ%billing', total: 2 });
      expect(body.messages.map((m: { messageId: string }) => m.messageId)).toEqual(['dead-2', 'dead-1']);
      expect((await http().get('/groups/billing/dlq?max=1').expect(200)).body.messages).toHaveLength(1);
    });

    it('resends a dead letter to its original topic, keeping id, keys and user properties', async () => {
      const { body } = await http().post('/groups/billing/dlq/dead-1/resend').expect(200);
      expect(body).toEqual({
        group: 'billing',
        messageId: 'dead-1',
        topic: 'payments',
        queueId: expect.any(Number),
        queueOffset: 0,
        commitLogOffset: expect.any(Number),
      });
      expect(body.queueId).toBeLessThan(4);
      const found = await http().get('/messages/dead-1').expect(200);
      const resent = found.body.records.find((r: { topic: string }) => r.topic === 'payments');
      expect(resent).toMatchObject({ keys: ['p-1'], properties: { u: 'v' }, bodyUtf8Preview: 'body of dead-1' });
    });

    it("resends a FIFO dead letter to its message group's queue, where the group's other messages are", async () => {
      await topics.upsert({ name: 'fifo-payments', writeQueueNums: 8, readQueueNums: 8, messageType: 'FIFO' });
      const groups = ['order-7', 'order-8', 'order-9', 'order-10'];
      for (const group of groups) {
        await append({
          topic: '%DLQ%billing',
          messageId: `dead-${group}`,
          messageGroup: group,
          properties: { [DeadLetterProperty.OriginTopic]: 'fifo-payments' },
        });
      }
      for (const group of groups) {
        const { body } = await http().post(`/groups/billing/dlq/dead-${group}/resend`).expect(200);
        // The queue a client's send of that group goes to (SendMessage), not one spread by the message id.
        expect({ group, queueId: body.queueId }).toEqual({ group, queueId: queueForMessageGroup(group, 8) });
        const found = await http().get(`/messages/dead-${group}`).expect(200);
        expect(found.body.records.find((r: { topic: string }) => r.topic === 'fifo-payments')).toMatchObject({ queueId: body.queueId, messageGroup: group });
      }
    });

    it('answers 409 when the original topic is unknown, and resends to a topic named in the body', async () => {
      await http().post('/groups/billing/dlq/dead-2/resend').expect(409);
      const { body } = await http().post('/groups/billing/dlq/dead-2/resend').send({ topic: 'payments' }).expect(200);
      expect(body.topic).toBe('payments');
      await http().post('/groups/billing/dlq/dead-2/resend').send({ topic: 'no-such-topic' }).expect(404);
    });

    it('answers 404 for a message not in the group DLQ and for an unknown group', async () => {
      await http().post('/groups/billing/dlq/m-1/resend').expect(404);
      await http().get('/groups/nobody/dlq').expect(404);
    });

    it('answers 200 with no messages for a known group with an empty DLQ', async () => {
      await topics.upsertGroup({ group: 'clean' });
      expect((await http().get('/groups/clean/dlq').expect(200)).body).toMatchObject({ total: 0, messages: [] });
    });
  });

  describe('consumer groups', () => {
    const receive = async (group: string, topic: string, batchSize: number): Promise<ReceivedMessage[]> => {
      const result = await delivery.receive({
        group,
        topic,
        batchSize,
        filter: { type: 'TAG', expression: '*' },
        invisibleDurationMs: 60_000,
        longPollingTimeoutMs: 0,
        clientId: 'admin-api-test',
      });
      if (result.status !== 'ok') throw new Error(`receive failed: ${JSON.stringify(result)}`);
      return result.messages;
    };

    beforeAll(async () => {
      await topics.upsert({ name: 'invoices', readQueueNums: 1, writeQueueNums: 1 });
      for (const id of ['i-1', 'i-2', 'i-3']) await append({ topic: 'invoices', messageId: id });
      const [first, second] = await receive('accounting', 'invoices', 2);
      expect(await delivery.ack('accounting', 'invoices', first.receiptHandle)).toEqual({ status: 'ok' });
      expect(second.message.messageId).toBe('i-2');
    });

    it('lists groups with their lag and in-flight count', async () => {
      const { body } = await http().get('/groups').expect(200);
      expect(body.groups).toContainEqual({
        group: 'accounting',
        config: { group: 'accounting', maxDeliveryAttempts: 16, fifo: false },
        topics: ['invoices'],
        totalLag: 2,
        inFlight: 1,
      });
    });

    it('shows a group with its progress per queue', async () => {
      const { body } = await http().get('/groups/accounting').expect(200);
      expect(body.progress).toEqual([{ topic: 'invoices', queueId: 0, brokerOffset: 3, consumerOffset: 1, inFlight: 1, lag: 2 }]);
      expect(body.totalLag).toBe(2);
      await http().get('/groups/nobody').expect(404);
    });

    it('resets a group to now (skipping the backlog) and back to the beginning', async () => {
      const now = await http().post('/groups/accounting/reset-offset').send({ topic: 'invoices', timestamp: 'now' }).expect(200);
      expect(now.body).toEqual({ group: 'accounting', topic: 'invoices', timestampMs: expect.any(Number), offsets: [{ queueId: 0, offset: 3 }] });
      expect((await http().get('/groups/accounting').expect(200)).body.totalLag).toBe(0);
      const start = await http().post('/groups/accounting/reset-offset').send({ topic: 'invoices', timestamp: 0 }).expect(200);
      expect(start.body.offsets).toEqual([{ queueId: 0, offset: 0 }]);
      expect((await receive('accounting', 'invoices', 3)).map((m) => m.message.messageId)).toEqual(['i-1', 'i-2', 'i-3']);
    });

    it.each([
      [{ timestamp: 'now' }, 400, 'topic is required'],
      [{ topic: 'invoices' }, 400, 'timestamp is required'],
      [{ topic: 'invoices', timestamp: 'yesterday' }, 400, 'timestamp must be'],
      [{ topic: 'invoices', timestamp: -1 }, 400, 'timestamp must be'],
      [{ topic: 'no-such-topic', timestamp: 'now' }, 404, 'topic "no-such-topic" does not exist'],
    ])('answers reset-offset %j with %i', async (body, status, reason) => {
      const response = await http().post('/groups/accounting/reset-offset').send(body).expect(status);
      expect(response.body.message).toContain(reason);
    });

    it('creates, updates and deletes a group configuration with PUT and DELETE /groups/:group', async () => {
      const created = await http().put('/groups/ordered-billing').send({ fifo: true }).expect(200);
      expect(created.body).toEqual({ created: true, config: { group: 'ordered-billing', fifo: true, maxDeliveryAttempts: 16 } });
      const updated = await http().put('/groups/ordered-billing').send({ maxDeliveryAttempts: 3 }).expect(200);
      expect(updated.body).toEqual({ created: false, config: { group: 'ordered-billing', fifo: true, maxDeliveryAttempts: 3 } });
      expect((await http().get('/groups/ordered-billing').expect(200)).body.config).toEqual({ group: 'ordered-billing', fifo: true, maxDeliveryAttempts: 3 });
      expect((await http().delete('/groups/ordered-billing').expect(200)).body).toEqual({ deleted: 'ordered-billing' });
      expect(topics.listGroups().some((g) => g.group === 'ordered-billing')).toBe(false);
      await http().delete('/groups/ordered-billing').expect(404);
    });

    it.each([
      [{ fifo: 'yes' }, 'fifo must be true or false'],
      [{ maxDeliveryAttempts: 'many' }, 'maxDeliveryAttempts must be an integer'],
      [{ maxDeliveryAttempts: 0 }, 'Invalid consumer group'],
      [{ maxDeliveryAttempts: 100_000 }, 'Invalid consumer group'],
      [{ retryMaxTimes: 3 }, 'unknown field(s) retryMaxTimes'],
    ])('answers PUT /groups/:group %j with 400 and changes nothing', async (body, reason) => {
      const response = await http().put('/groups/strict-group').send(body).expect(400);
      expect(response.body.message).toContain(reason);
      expect(topics.listGroups().some((g) => g.group === 'strict-group')).toBe(false);
    });

    it('answers 400 for resetting an invalid group name', async () => {
      await http().post('/groups/bad%20group/reset-offset').send({ topic: 'invoices', timestamp: 'now' }).expect(400);
    });

    it('lists what the delivery engine dead-lettered and resends it to its topic', async () => {
      await topics.upsert({ name: 'refunds', readQueueNums: 1, writeQueueNums: 1 });
      await append({ topic: 'refunds', messageId: 'r-1', keys: ['refund-1'], properties: { origin: 'test' } });
      const [message] = await receive('refunder', 'refunds', 1);
      expect(await delivery.forwardToDeadLetterQueue('refunder', 'refunds', message.receiptHandle)).toEqual({ status: 'ok' });

      const dlq = await http().get('/groups/refunder/dlq').expect(200);
      expect(dlq.body).toMatchObject({ topic: '%DLQ%refunder', total: 1, messages: [{ messageId: 'r-1', keys: ['refund-1'] }] });
      const resent = await http().post('/groups/refunder/dlq/r-1/resend').expect(200);
      expect(resent.body).toMatchObject({ topic: 'refunds', queueId: 0, queueOffset: 1 });
      const again = await receive('refunder', 'refunds', 1);
      expect(again.map((m) => [m.message.messageId, m.message.properties])).toEqual([['r-1', { origin: 'test' }]]);
    });
  });

  it('describes the cluster for clusterList', async () => {
    const { body } = await http().get('/cluster').expect(200);
    expect(body).toEqual({
      clusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerId: 0,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      addresses: { grpc: '127.0.0.1:18081', admin: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
    });
  });
});
