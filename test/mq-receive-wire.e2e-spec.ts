import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { Producer } from 'rocketmq-client-nodejs';
import { MqConsumer, MqConsumerRegistry, MqMessage, MqModule, MqModuleOptions } from '@app/mq';
import { OfficialClients } from '@app/testkit';
import { run } from '../apps/broker/src/cli/mqadmin';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { waitFor } from './support/transaction-test-support';

/**
 * libs/mq's consumers receive and acknowledge on node:http2 (`consumers.receiveWire: 'http2'`, the
 * default) and deliver what the official client's own receive delivers: the same messages, read
 * by one group through each wire, reach the handlers with every field equal; an ack on the wire
 * sticks (nothing comes back after the invisible duration); the calls carry the official client's
 * signed headers, so with authentication on they are accepted, and refused once the secret changed.
 */

const TOPIC = 'rwire-orders';
const SUPER = { username: 'rocketmq', password: '12345678' };
const INVISIBLE_MS = 1_000;

const deliveries: Record<'official' | 'http2', MqMessage[]> = { official: [], http2: [] };

@Injectable()
class OfficialWireReader {
  @MqConsumer({ topic: TOPIC, group: 'rwire-official', invisibleDurationMs: INVISIBLE_MS })
  async on(message: MqMessage): Promise<void> {
    deliveries.official.push(message);
  }
}

@Injectable()
class Http2WireReader {
  @MqConsumer({ topic: TOPIC, group: 'rwire-http2', invisibleDurationMs: INVISIBLE_MS })
  async on(message: MqMessage): Promise<void> {
    deliveries.http2.push(message);
  }
}

async function consumingApp(options: MqModuleOptions, reader: new () => unknown): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports: [MqModule.forRoot(options)], providers: [reader] }).compile();
  await app.init();
  return app;
}

/** A delivery less what differs between two groups' deliveries of one message. */
function comparable(message: MqMessage): Omit<MqMessage, 'consumerGroup'> {
  const { consumerGroup: _group, ...rest } = message;
  return rest;
}

const consumerOptions = { longPollingTimeoutMs: 1_000, shutdownTimeoutMs: 5_000 };
const tuning = { messaging: { minLongPollingTimeoutMs: 100 }, delivery: { minReceiveInvisibleDurationMs: INVISIBLE_MS } };

describe('libs/mq: the http2 receive wire delivers what the official client delivers', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let producer: Producer;
  const apps: TestingModule[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({}, tuning);
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 2, writeQueueNums: 2 });
    clients = new OfficialClients(broker.grpcEndpoint);
    producer = await clients.producer();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('hands the handlers the same fields through either wire, and an ack on either sticks', async () => {
    apps.push(
      await consumingApp({ endpoints: broker.grpcEndpoint, logger: false, consumers: { ...consumerOptions, receiveWire: 'official' } }, OfficialWireReader),
    );
    apps.push(await consumingApp({ endpoints: broker.grpcEndpoint, logger: false, consumers: consumerOptions }, Http2WireReader));
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      const receipt = await producer.send({
        topic: TOPIC,
        tag: i % 2 === 0 ? 'paid' : 'shipped',
        keys: [`order-${i}`, 'customer-7'],
        properties: new Map([
          ['source', 'receive-wire-test'],
          ['n', String(i)],
        ]),
        body: Buffer.from(JSON.stringify({ orderId: `o-${i}`, amount: i * 1.5 })),
      });
      sent.push(receipt.messageId);
    }
    await waitFor('every message through both wires', () => deliveries.official.length >= 40 && deliveries.http2.length >= 40, 30_000);
    // Past the invisible duration: an ack that did not stick would bring messages back.
    await new Promise((resolve) => setTimeout(resolve, 3 * INVISIBLE_MS));
    for (const wire of ['official', 'http2'] as const) expect(deliveries[wire].map((message) => message.messageId).sort()).toEqual([...sent].sort());
    const official = new Map(deliveries.official.map((message) => [message.messageId, message]));
    for (const message of deliveries.http2) expect(comparable(message)).toEqual(comparable(official.get(message.messageId)!));
    expect(deliveries.http2.find((message) => message.messageId === sent[0])).toMatchObject({
      payload: { orderId: 'o-0', amount: 0 },
      tag: 'paid',
      keys: ['order-0', 'customer-7'],
      properties: { source: 'receive-wire-test', n: '0' },
      deliveryAttempt: 1,
      consumerGroup: 'rwire-http2',
    });
  }, 60_000);
});

describe('libs/mq: the http2 receive wire signs its calls as the official client does (authenticationEnabled)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    broker = await startTestBroker({ authenticationEnabled: true, initAuthenticationUser: JSON.stringify(SUPER) }, tuning);
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 1, writeQueueNums: 1 });
    clients = new OfficialClients(broker.grpcEndpoint);
  });

  afterAll(async () => {
    await app?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  it('receives with the right credentials, and is refused with UNAUTHORIZED once the secret changed', async () => {
    const credentials = { accessKey: SUPER.username, accessSecret: SUPER.password };
    deliveries.http2 = [];
    app = await consumingApp({ endpoints: broker.grpcEndpoint, logger: false, credentials, consumers: consumerOptions }, Http2WireReader);
    const producer = await clients.producer({ sessionCredentials: credentials });
    const receipt = await producer.send({ topic: TOPIC, body: Buffer.from('{"orderId":"signed"}') });
    await waitFor('the signed receive', () => deliveries.http2.length === 1, 20_000);
    expect(deliveries.http2[0].messageId).toBe(receipt.messageId);
    const registry = app.get(MqConsumerRegistry);
    expect(registry.list()[0].lastError).toBeUndefined();

    const code = await run(
      ['updateUser', '-n', `127.0.0.1:${broker.httpPort}`, '--accessKey', SUPER.username, '--secretKey', SUPER.password, '-u', SUPER.username, '-p', 'changed'],
      { stdout: () => undefined, stderr: () => undefined, env: {} },
    );
    expect(code).toBe(0);
    await waitFor('a refused receive', () => /check signature failed/.test(registry.list()[0].lastError ?? ''), 20_000);
    expect(registry.list()[0].lastError).toMatch(/UNAUTHORIZED|40100|check signature failed/);
  }, 60_000);
});
