import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import request from 'supertest';
import { BrokerModule } from '../broker.module';
import { BROKER_CONFIG_DEFAULTS } from '../config/broker-config.defaults';
import { DeliveryService } from '../delivery/delivery-service';
import { MessageStore, StoreState } from '../store/message-store';
import { SimulatedDisk } from '../store/simulated-disk.test-support';
import { TopicRegistry } from '../topics/topic-registry';

/**
 * Creating a topic or group while the config directory's disk is full (issue 18, section 0): a
 * 503 naming the reason, not a bare 500, and nothing half-created; the same request succeeds once
 * space is back.
 */
describe('admin API on a full disk', () => {
  let app: INestApplication;
  const disk = new SimulatedDisk();
  const topics = new TopicRegistry(
    '/config',
    { autoCreateTopicEnable: false, defaultTopicQueueNums: 8, autoCreateSubscriptionGroup: true },
    pino({ level: 'silent' }),
    disk.mount(),
  );
  const store = { state: StoreState.Running, listQueues: () => [], getQueueBounds: () => ({ minOffset: 0, maxOffset: 0 }) };
  // Only what reset-offset reads before it creates the group.
  const delivery = { listGroups: () => [], progress: () => [], resetOffsetByTime: async () => [] };

  beforeAll(async () => {
    await topics.open();
    const module = BrokerModule.register({
      store: store as unknown as MessageStore,
      config: BROKER_CONFIG_DEFAULTS,
      topics,
      delivery: delivery as unknown as DeliveryService,
    });
    app = (await Test.createTestingModule({ imports: [module] }).compile()).createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 503 with the reason, keeps nothing, and creates the topic once space is back', async () => {
    disk.inject({ operation: 'write', pathIncludes: 'topics.json', errno: 'ENOSPC', times: Infinity });
    const refused = await request(app.getHttpServer()).put('/topics/orders').send({}).expect(503);
    expect(refused.body).toMatchObject({
      statusCode: 503,
      code: 'STORE_ERR_WRITE_FAILED',
      diskFull: true,
      message: expect.stringContaining("the broker's disk is full"),
    });
    expect(refused.body.message).toContain('ENOSPC');
    expect(topics.get('orders')).toBeUndefined();
    disk.clearFaults();
    await request(app.getHttpServer()).put('/topics/orders').send({}).expect(200);
    expect(topics.get('orders')?.writeQueueNums).toBe(8);
  });

  it('answers 503 when a group cannot be created on first use', async () => {
    disk.inject({ operation: 'write', pathIncludes: 'subscription-groups.json', errno: 'EIO', times: Infinity });
    const refused = await request(app.getHttpServer()).post('/groups/billing/reset-offset').send({ topic: 'orders', timestamp: 'now' }).expect(503);
    expect(refused.body).toMatchObject({ code: 'STORE_ERR_WRITE_FAILED', diskFull: false, message: expect.stringContaining('EIO') });
    expect(topics.listGroups().map((g) => g.group)).not.toContain('billing');
    disk.clearFaults();
  });
});
