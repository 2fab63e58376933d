import { stat } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MqConsumer, MqMessage, MqModule, MqProducer } from '@app/mq';
import { join } from 'node:path';
import { Producer, SimpleConsumer, FilterExpression } from 'rocketmq-client-nodejs';
import { run } from '../apps/broker/src/cli/mqadmin';
import { requestSignature } from '../apps/broker/src/auth/request-signature';
import { USERS_FILE } from '../apps/broker/src/auth/user-registry';
import { QueryRouteResponse } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { OfficialClients } from '@app/testkit';

/**
 * authenticationEnabled with initAuthenticationUser, as Apache RocketMQ 5's ACL 2.0 has them: the
 * official client signs each request with its credentials and the broker checks the signature
 * (UNAUTHORIZED with Apache's messages otherwise); the admin API takes the same users by HTTP
 * Basic (401 without, 403 for a change by a Normal user); mqadmin manages users.
 */

const SUPER = { username: 'rocketmq', password: '12345678' };
const TOPIC = 'auth-orders';
const MQ_TOPIC = 'auth-mq-orders';

const mqReceived: string[] = [];

@Injectable()
class AuthOrdersConsumer {
  @MqConsumer({ topic: MQ_TOPIC, group: 'auth-mq-group' })
  onOrder(message: MqMessage<{ id: string }>): void {
    mqReceived.push(message.payload.id);
  }
}

async function mqadmin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env: {} });
  return { code, stdout, stderr };
}

/** `x-mq-date-time` for a moment, as the official client formats it. */
function dateTimeOf(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

describe('broker authentication (authenticationEnabled)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let adminUrl: string;
  const raws: RawMessagingClient[] = [];

  beforeAll(async () => {
    broker = await startTestBroker(
      { authenticationEnabled: true, initAuthenticationUser: JSON.stringify(SUPER) },
      { messaging: { minLongPollingTimeoutMs: 100 } },
    );
    adminUrl = `http://127.0.0.1:${broker.httpPort}`;
    clients = new OfficialClients(broker.grpcEndpoint);
    await broker.broker.topics.upsert({ name: TOPIC, readQueueNums: 2, writeQueueNums: 2 });
    await broker.broker.topics.upsert({ name: MQ_TOPIC, readQueueNums: 2, writeQueueNums: 2 });
  });

  afterAll(async () => {
    for (const raw of raws) raw.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  const basic = (user: { username: string; password: string }) => `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  const asSuper = ['-n', '', '--accessKey', SUPER.username, '--secretKey', SUPER.password];
  beforeAll(() => (asSuper[1] = `127.0.0.1:${broker.httpPort}`));

  async function producerWith(credentials?: { accessKey: string; accessSecret: string }): Promise<Producer> {
    return clients.producer(credentials ? { sessionCredentials: credentials } : {});
  }

  it('the official client with the super user credentials sends and receives', async () => {
    const producer = await producerWith({ accessKey: SUPER.username, accessSecret: SUPER.password });
    const receipt = await producer.send({ topic: TOPIC, keys: ['a-1'], body: Buffer.from('signed') });
    const consumer: SimpleConsumer = await clients.simpleConsumer({
      consumerGroup: 'auth-group',
      subscriptions: new Map([[TOPIC, FilterExpression.SUB_ALL]]),
      awaitDuration: 1_000,
      sessionCredentials: { accessKey: SUPER.username, accessSecret: SUPER.password },
    });
    let views = await consumer.receive(1, 10_000);
    for (let i = 0; i < 5 && views.length === 0; i++) views = await consumer.receive(1, 10_000);
    expect(views.map((view) => view.messageId)).toEqual([receipt.messageId]);
    await consumer.ack(views[0]);
  });

  it("refuses a wrong secret, an unknown user and an unsigned client with UNAUTHORIZED and Apache's messages", async () => {
    const send = async (credentials?: { accessKey: string; accessSecret: string }) =>
      (await producerWith(credentials)).send({ topic: TOPIC, body: Buffer.from('refused') });
    await expect(send({ accessKey: SUPER.username, accessSecret: 'wrong' })).rejects.toThrow(/response-code=40100\] check signature failed\./);
    await expect(send({ accessKey: 'nobody', accessSecret: 'x' })).rejects.toThrow(/response-code=40100\] User:nobody is not found\./);
    await expect(send()).rejects.toThrow(/response-code=40100\] username cannot be null\./);
  });

  it('refuses a correctly signed request whose date-time is outside the window (a replay), and counts every refusal', async () => {
    const raw = new RawMessagingClient(broker.grpcEndpoint);
    raws.push(raw);
    const query = (dateTime: string) =>
      raw.unary<QueryRouteResponse>(
        'QueryRoute',
        { topic: { name: TOPIC }, endpoints: { scheme: 'IPv4', addresses: [] } },
        {
          headers: {
            'x-mq-date-time': dateTime,
            authorization: `MQv2-HMAC-SHA1 Credential=${SUPER.username}, SignedHeaders=x-mq-date-time, Signature=${requestSignature(SUPER.password, dateTime).toString('hex')}`,
          },
        },
      );
    expect((await query(dateTimeOf(Date.now()))).status.code).toBe('OK');
    const stale = await query(dateTimeOf(Date.now() - 60 * 60_000));
    expect(stale.status).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(stale.status.message).toMatch(/is more than 900 s from the broker's clock/);
    const metrics = await (await fetch(`${adminUrl}/metrics`, { headers: { authorization: basic(SUPER) } })).text();
    expect(metrics).toMatch(/rocketmq_broker_authentication_refusals_total\{protocol="grpc",kind="stale-date"\} 1/);
    expect(metrics).toMatch(/rocketmq_broker_authentication_refusals_total\{protocol="grpc",kind="bad-signature"\} [1-9]/);
  });

  it('guards the admin API: /health open, 401 without credentials, reads for any user, changes and /users for super users only', async () => {
    expect((await fetch(`${adminUrl}/health`)).status).toBe(200);
    const anonymous = await fetch(`${adminUrl}/topics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await fetch(`${adminUrl}/topics`, { headers: { authorization: basic({ ...SUPER, password: 'nope' }) } })).status).toBe(401);

    expect(await mqadmin('createUser', ...asSuper, '-u', 'reader', '-p', 'reader-secret')).toMatchObject({
      code: 0,
      stdout: `create user to 127.0.0.1:${broker.httpPort} success.\n`,
    });
    const reader = { username: 'reader', password: 'reader-secret' };
    expect((await fetch(`${adminUrl}/topics`, { headers: { authorization: basic(reader) } })).status).toBe(200);
    const change = await fetch(`${adminUrl}/topics/reader-topic`, {
      method: 'PUT',
      headers: { authorization: basic(reader), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(change.status).toBe(403);
    expect((await fetch(`${adminUrl}/users`, { headers: { authorization: basic(reader) } })).status).toBe(403);
    const created = await fetch(`${adminUrl}/topics/super-topic`, {
      method: 'PUT',
      headers: { authorization: basic(SUPER), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(200);

    // mqadmin without credentials gets the 401; with them, the table, and no secret anywhere.
    const refused = await mqadmin('listUser', '-n', `127.0.0.1:${broker.httpPort}`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 401: username cannot be null\./);
    const listed = await mqadmin('listUser', ...asSuper);
    expect(listed.stdout.split('\n')[0]).toMatch(/^#UserName\s+#Password\s+#UserType\s+#UserStatus$/);
    expect(listed.stdout).toMatch(/\nreader\s+\*{6}\s+Normal\s+enable\n/);
    expect(listed.stdout).toMatch(/\nrocketmq\s+\*{6}\s+Super\s+enable\n/);
    expect(listed.stdout).not.toContain('reader-secret');
    expect(JSON.stringify(await (await fetch(`${adminUrl}/users/reader`, { headers: { authorization: basic(SUPER) } })).json())).not.toContain('reader-secret');
  });

  it('a user disabled by mqadmin is refused over gRPC and HTTP; users live in users.json, readable by the broker only', async () => {
    expect((await mqadmin('createUser', ...asSuper, '-u', 'app', '-p', 'app-secret')).code).toBe(0);
    const producer = await producerWith({ accessKey: 'app', accessSecret: 'app-secret' });
    await producer.send({ topic: TOPIC, body: Buffer.from('before') });
    expect((await mqadmin('updateUser', ...asSuper, '-u', 'app', '-s', 'disable')).code).toBe(0);
    await expect(
      producerWith({ accessKey: 'app', accessSecret: 'app-secret' }).then((refused) => refused.send({ topic: TOPIC, body: Buffer.from('after') })),
    ).rejects.toThrow(/response-code=40100\] User:app is disabled\./);
    expect((await fetch(`${adminUrl}/topics`, { headers: { authorization: basic({ username: 'app', password: 'app-secret' }) } })).status).toBe(401);
    expect((await mqadmin('deleteUser', ...asSuper, '-u', 'app')).code).toBe(0);
    expect((await mqadmin('getUser', ...asSuper, '-u', 'app')).stderr).toMatch(/HTTP 404: User:app is not found\./);
    const file = await stat(join(broker.storeDir, 'config', USERS_FILE));
    expect(file.mode & 0o777).toBe(0o600);
  });
  it("libs/mq's credentials option: MqProducer and @MqConsumer work against the broker with authentication on", async () => {
    const app = await Test.createTestingModule({
      imports: [
        MqModule.forRoot({
          endpoints: broker.grpcEndpoint,
          logger: false,
          credentials: { accessKey: SUPER.username, accessSecret: SUPER.password },
          consumers: { longPollingTimeoutMs: 1_000 },
        }),
      ],
      providers: [AuthOrdersConsumer],
    }).compile();
    await app.init();
    try {
      await app.get(MqProducer).send(MQ_TOPIC, { id: 'o-1' });
      for (let waited = 0; waited < 10_000 && mqReceived.length === 0; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(mqReceived).toEqual(['o-1']);
    } finally {
      await app.close();
    }
  }, 30_000);
});
