import { Logger } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { Test, TestingModule } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import { ClientRocketMQ, MqProducer, MqRecord, MqSendReceipt, resolveMqOptions } from '@app/mq';
import { startTestBroker, TestBroker } from './support/broker-harness';

/**
 * ClientRocketMQ (the @nestjs/microservices client): registered through ClientsModule with
 * `customClass`, `emit(topic, payload)` produces through MqProducer and emits the receipt; an
 * MqRecord carries send options; request/response fails with MQ_ERR_REQUEST_REPLY_UNSUPPORTED.
 */
describe('libs/mq: ClientRocketMQ', () => {
  let broker: TestBroker;
  let app: TestingModule;
  let client: ClientRocketMQ;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    broker = await startTestBroker();
    await broker.broker.topics.upsert({ name: 'mq-events', messageType: 'NORMAL', readQueueNums: 1, writeQueueNums: 1 });
    app = await Test.createTestingModule({
      imports: [ClientsModule.register([{ name: 'EVENTS', customClass: ClientRocketMQ, options: { endpoints: broker.grpcEndpoint, logger: false } }])],
    }).compile();
    await app.init();
    client = app.get('EVENTS');
  });

  afterAll(async () => {
    await app?.close();
    await broker?.stop();
  });

  it('emits events to the topic named by the pattern, with options from an MqRecord', async () => {
    const plain = await lastValueFrom(client.emit<MqSendReceipt>('mq-events', { orderId: 1 }));
    const tagged = await lastValueFrom(client.emit<MqSendReceipt>('mq-events', new MqRecord({ orderId: 2 }, { tag: 'paid', keys: ['order-2'] })));
    const stored = await broker.broker.store.readQueue('mq-events', 0, 0, 100);
    expect(stored.map((m) => [m.messageId, JSON.parse(m.body.toString()), m.tag, m.keys])).toEqual([
      [plain.messageId, { orderId: 1 }, undefined, []],
      [tagged.messageId, { orderId: 2 }, 'paid', ['order-2']],
    ]);
    expect(client.unwrap<{ isRunning(): boolean }>().isRunning()).toBe(true);
  });

  it('refuses request/response with MQ_ERR_REQUEST_REPLY_UNSUPPORTED', async () => {
    await expect(lastValueFrom(client.send('mq-events', { orderId: 3 }))).rejects.toMatchObject({ code: 'MQ_ERR_REQUEST_REPLY_UNSUPPORTED' });
  });

  it('uses a producer given to it (the module producer) without owning it', async () => {
    const producer = new MqProducer(resolveMqOptions({ endpoints: broker.grpcEndpoint, logger: false }));
    const onShared = new ClientRocketMQ({ producer });
    try {
      await onShared.connect();
      const receipt = await lastValueFrom(onShared.emit<MqSendReceipt>('mq-events', 'shared'));
      expect(receipt.messageId).toEqual(expect.any(String));
      await onShared.close();
      expect(producer.isRunning()).toBe(true);
    } finally {
      await producer.stop();
    }
  });
});
