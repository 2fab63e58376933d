import { FilterExpression } from 'rocketmq-client-nodejs';
import { run } from '../apps/broker/src/cli/mqadmin';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { OfficialClients } from '@app/testkit';

/**
 * authorizationEnabled (Apache RocketMQ 5's ACL 2.0): a Normal user needs an Allow entry for each
 * topic and group it uses; the most specific entry decides; refusals are UNAUTHORIZED with
 * Apache's message; a producer may only declare (and so only be asked check-backs about) topics it
 * may publish to. ACLs are managed with mqadmin.
 */

const SUPER = { username: 'rocketmq', password: '12345678' };
const APP = { accessKey: 'app', accessSecret: 'app-secret' };

describe('broker authorization (authorizationEnabled)', () => {
  let broker: TestBroker;
  let clients: OfficialClients;
  let address: string;

  async function mqadmin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await run([...argv, '-n', address, '--accessKey', SUPER.username, '--secretKey', SUPER.password], {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: {},
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    broker = await startTestBroker(
      { authenticationEnabled: true, authorizationEnabled: true, initAuthenticationUser: JSON.stringify(SUPER) },
      { messaging: { minLongPollingTimeoutMs: 100 } },
    );
    address = `127.0.0.1:${broker.httpPort}`;
    clients = new OfficialClients(broker.grpcEndpoint);
    for (const name of ['authz-orders', 'authz-orders-secret', 'authz-payments', 'authz-tx'])
      await broker.broker.topics.upsert({ name, readQueueNums: 1, writeQueueNums: 1 });
    expect((await mqadmin('createUser', '-u', APP.accessKey, '-p', APP.accessSecret)).code).toBe(0);
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
  });

  const send = async (topic: string) => (await clients.producer({ sessionCredentials: APP })).send({ topic, body: Buffer.from('x') });

  it("refuses a Normal user without an entry, with Apache's message; an Allow entry made with mqadmin lets it publish", async () => {
    await expect(send('authz-orders')).rejects.toThrow(
      /response-code=40100\] User:app has no permission to access Topic:authz-orders from 127\.0\.0\.1, no matched policies\./,
    );
    expect(await mqadmin('createAcl', '-s', 'User:app', '-r', 'Topic:authz-orders*', '-a', 'Pub', '-d', 'Allow')).toMatchObject({
      code: 0,
      stdout: `create acl to ${address} success.\n`,
    });
    await expect(send('authz-orders')).resolves.toMatchObject({ messageId: expect.any(String) });
    // A more specific Deny beats the prefix's Allow; a topic outside the prefix has no entry.
    expect((await mqadmin('updateAcl', '-s', 'User:app', '-r', 'Topic:authz-orders-secret', '-a', 'Pub', '-d', 'Deny')).code).toBe(0);
    await expect(send('authz-orders-secret')).rejects.toThrow(/no permission to access Topic:authz-orders-secret from 127\.0\.0\.1, the decision is deny\./);
    await expect(send('authz-payments')).rejects.toThrow(/no matched policies/);
    const listed = await mqadmin('listAcl', '-s', 'User:app');
    expect(listed.stdout.split('\n')[0]).toMatch(/^#Subject\s+#PolicyType\s+#Resource\s+#Actions\s+#SourceIp\s+#Decision$/);
    expect(listed.stdout).toMatch(/User:app\s+Custom\s+Topic:authz-orders\*\s+Pub\s+Allow/);
    expect(listed.stdout).toMatch(/User:app\s+Custom\s+Topic:authz-orders-secret\s+Pub\s+Deny/);
  });

  it('consuming needs Sub on the group and on the topic', async () => {
    const consumer = () =>
      clients.simpleConsumer({
        consumerGroup: 'authz-group',
        subscriptions: new Map([['authz-orders', FilterExpression.SUB_ALL]]),
        awaitDuration: 1_000,
        sessionCredentials: APP,
      });
    await expect(consumer()).rejects.toThrow(/./);
    expect((await mqadmin('createAcl', '-s', 'User:app', '-r', 'Group:authz-group,Topic:authz-orders', '-a', 'Sub', '-d', 'Allow')).code).toBe(0);
    const allowed = await consumer();
    let views = await allowed.receive(4, 10_000);
    for (let i = 0; i < 5 && views.length === 0; i++) views = await allowed.receive(4, 10_000);
    expect(views.length).toBeGreaterThan(0);
  });

  it('a producer may not declare a topic it cannot publish to, so it is never asked check-backs about it', async () => {
    await expect(clients.producer({ sessionCredentials: APP, topics: ['authz-tx'] })).rejects.toThrow(/./);
    expect((await mqadmin('createAcl', '-s', 'User:app', '-r', 'Topic:authz-tx', '-a', 'Pub', '-d', 'Allow')).code).toBe(0);
    await expect(clients.producer({ sessionCredentials: APP, topics: ['authz-tx'] })).resolves.toBeDefined();
  });

  it('an entry limited to other source addresses does not match; deleteAcl removes entries', async () => {
    expect((await mqadmin('createAcl', '-s', 'User:app', '-r', 'Topic:authz-payments', '-a', 'Pub', '-d', 'Allow', '-i', '10.0.0.0/8')).code).toBe(0);
    await expect(send('authz-payments')).rejects.toThrow(/no matched policies/);
    expect((await mqadmin('deleteAcl', '-s', 'User:app', '-r', 'Topic:authz-orders*')).code).toBe(0);
    await expect(send('authz-orders')).rejects.toThrow(/no matched policies/);
    expect((await mqadmin('createAcl', '-s', 'User:ghost', '-r', 'Topic:x', '-a', 'Pub', '-d', 'Allow')).stderr).toMatch(
      /HTTP 404: The subject of User:ghost is not exist\./,
    );
    expect((await mqadmin('createAcl', '-s', 'User:app', '-r', 'Queue:x', '-a', 'Pub', '-d', 'Allow')).stderr).toMatch(/HTTP 400: resource "Queue:x" must be/);
  });
});
