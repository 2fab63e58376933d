import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { run } from '../apps/broker/src/cli/mqadmin';
import { DeliveryService } from '../apps/broker/src/delivery/delivery-service';
import { FileMessageStore } from '../apps/broker/src/store/file-message-store';
import { TopicRegistry } from '../apps/broker/src/topics/topic-registry';
import { AdminApp, startAdminApp } from './support/admin-app';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { freePort } from '@app/testkit';

const ROOT = resolve(__dirname, '..');

/** Runs the CLI in-process; resolves its exit code and what it printed. */
async function mqadmin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return mqadminWithEnv(undefined, ...argv);
}

/** As mqadmin(), reading MQADMIN_* from `env` instead of process.env when given. */
async function mqadminWithEnv(env: NodeJS.ProcessEnv | undefined, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), ...(env ? { env } : {}) });
  return { code, stdout, stderr };
}

describe('mqadmin CLI', () => {
  let admin: AdminApp;
  let store: FileMessageStore;
  let topics: TopicRegistry;
  let address: string;
  let delivery: DeliveryService;

  beforeAll(async () => {
    admin = await startAdminApp('mqadmin-', { listen: true });
    ({ store, topics, delivery } = admin);
    address = admin.address as string;
  });

  afterAll(async () => {
    await admin?.close();
  });

  it('updateTopic creates a topic and prints its TopicConfig as mqadmin does', async () => {
    const result = await mqadmin('updateTopic', '-n', address, '-c', 'DefaultCluster', '-t', 'orders', '-r', '2', '-w', '2', '-a', '+message.type=FIFO');
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout:
        `create topic to ${address} success.\n` +
        'TopicConfig [topicName=orders, readQueueNums=2, writeQueueNums=2, perm=RW-, topicFilterType=SINGLE_TAG, ' +
        'topicSysFlag=0, order=true, attributes={+message.type=FIFO}]\n',
    });
    expect(topics.get('orders')).toMatchObject({ readQueueNums: 2, writeQueueNums: 2, perm: 6, messageType: 'FIFO' });
  });

  it('topicList, topicStatus, queryMsgById and queryMsgByKey print what the broker holds', async () => {
    await topics.upsert({ name: 'orders', readQueueNums: 2, writeQueueNums: 2 });
    const appended = await store.append([
      { topic: 'orders', queueId: 1, messageId: 'MSG-1', bornTimestampMs: Date.now(), keys: ['order-42'], tag: 'created', body: Buffer.from('{"id":42}') },
      { topic: 'orders', queueId: 1, messageId: 'MSG-2', bornTimestampMs: Date.now(), keys: ['order-42'], body: Buffer.from('second') },
    ]);
    expect(appended.status).toBe('ok');

    const list = await mqadmin('topicList', '-n', address);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')).toContain('orders');

    const status = await mqadmin('topicStatus', '-n', address, '-t', 'orders');
    expect(status.code).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated$/);
    expect(lines[1]).toMatch(/^broker-a\s+0\s+0\s+0\s+-$/);
    expect(lines[2]).toMatch(/^broker-a\s+1\s+0\s+2\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}$/);

    const byId = await mqadmin('queryMsgById', '-n', address, '-i', 'MSG-1');
    expect(byId.code).toBe(0);
    expect(byId.stdout).toMatch(/^Message ID:\s+MSG-1$/m);
    expect(byId.stdout).toMatch(/^Topic:\s+orders$/m);
    expect(byId.stdout).toMatch(/^Tags:\s+\[created\]$/m);
    expect(byId.stdout).toMatch(/^Keys:\s+\[order-42\]$/m);
    expect(byId.stdout).toMatch(/^Message Body:\s+\{"id":42\}$/m);

    const byKey = await mqadmin('queryMsgByKey', '-n', address, '-t', 'orders', '-k', 'order-42');
    expect(byKey.code).toBe(0);
    expect(
      byKey.stdout
        .trimEnd()
        .split('\n')
        .map((line) =>
          line
            .split(/\s{2,}/)
            .slice(0, 3)
            .join(' | '),
        ),
    ).toEqual(['#Message ID | #QID | #Offset', 'MSG-2 | 1 | 1', 'MSG-1 | 1 | 0']);
  });

  describe('consumer groups', () => {
    beforeAll(async () => {
      await topics.upsert({ name: 'shipments', readQueueNums: 1, writeQueueNums: 1 });
      for (const id of ['S-1', 'S-2', 'S-3']) {
        expect((await store.append({ topic: 'shipments', queueId: 0, messageId: id, bornTimestampMs: Date.now(), body: Buffer.from(id) })).status).toBe('ok');
      }
      const received = await delivery.receive({
        group: 'shipping',
        topic: 'shipments',
        batchSize: 1,
        filter: { type: 'TAG', expression: '*' },
        invisibleDurationMs: 60_000,
        longPollingTimeoutMs: 0,
        clientId: 'mqadmin-test',
      });
      expect(received).toMatchObject({ status: 'ok', messages: [{ message: { messageId: 'S-1' } }] });
    });

    it('consumerProgress prints every group, or one group per queue with its diff', async () => {
      const all = await mqadmin('consumerProgress', '-n', address);
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/^#Group\s+#Topics\s+#Type\s+#Max Deliveries\s+#Inflight\s+#Diff Total$/m);
      expect(all.stdout).toMatch(/^shipping\s+1\s+CONCURRENTLY\s+16\s+1\s+3$/m);

      const one = await mqadmin('consumerProgress', '-n', address, '-g', 'shipping');
      expect(one.code).toBe(0);
      const lines = one.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Inflight\s+#Diff$/);
      expect(lines[1]).toMatch(/^shipments\s+broker-a\s+0\s+3\s+0\s+1\s+3$/);
      expect(one.stdout).toContain('Consume Diff Total: 3\n');
    });

    it('resetOffsetByTime accepts now, milliseconds and mqadmin date strings', async () => {
      const toEnd = await mqadmin('resetOffsetByTime', '-n', address, '-g', 'shipping', '-t', 'shipments', '-s', 'now');
      expect(toEnd.code).toBe(0);
      expect(toEnd.stdout).toContain('rollback consumer offset by specified group[shipping], topic[shipments], timestamp(string)[now]');
      expect(toEnd.stdout).toMatch(/^#brokerName\s+#queueId\s+#offset\nbroker-a\s+0\s+3$/m);

      const toStart = await mqadmin('resetOffsetByTime', '-n', address, '-g', 'shipping', '-t', 'shipments', '-s', '1700000000000');
      expect(toStart.stdout).toContain('timestamp(long)[1700000000000]');
      expect(toStart.stdout).toMatch(/^broker-a\s+0\s+0$/m);

      const dated = await mqadmin('resetOffsetByTime', '-n', address, '-g', 'shipping', '-t', 'shipments', '-s', '2024-01-02#03:04:05:006');
      expect(dated.code).toBe(0);
      expect(dated.stdout).toContain(`timestamp(long)[${new Date(2024, 0, 2, 3, 4, 5, 6).getTime()}]`);
    });
  });

  it('updateSubGroup creates and updates a FIFO group, getConsumerConfig shows it, deleteSubGroup forgets it', async () => {
    const created = await mqadmin('updateSubGroup', '-n', address, '-g', 'ordered', '-o', 'true', '-r', '3');
    expect(created).toEqual({
      code: 0,
      stderr: '',
      stdout: `create subscription group to ${address} success.\nSubscriptionGroupConfig [groupName=ordered, consumeEnable=true, consumeMessageOrderly=true, retryMaxTimes=3]\n`,
    });
    expect(topics.listGroups().find((g) => g.group === 'ordered')).toEqual({ group: 'ordered', fifo: true, maxDeliveryAttempts: 4 });

    // Flags not given keep their value.
    expect((await mqadmin('updateSubGroup', '-n', address, '-g', 'ordered', '-r', '0')).code).toBe(0);
    expect(topics.listGroups().find((g) => g.group === 'ordered')).toEqual({ group: 'ordered', fifo: true, maxDeliveryAttempts: 1 });

    const config = await mqadmin('getConsumerConfig', '-n', address, '-g', 'ordered');
    expect(config.code).toBe(0);
    expect(config.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        '=============================DefaultCluster:broker-a=============================',
        `${'consumeMessageOrderly'.padEnd(40)}=  true`,
        `${'retryMaxTimes'.padEnd(40)}=  0`,
      ]),
    );

    expect(await mqadmin('deleteSubGroup', '-n', address, '-g', 'ordered')).toEqual({
      code: 0,
      stdout: 'delete subscription group [ordered] from broker [broker-a] success.\n',
      stderr: '',
    });
    expect(topics.listGroups().find((g) => g.group === 'ordered')).toBeUndefined();
    const gone = await mqadmin('deleteSubGroup', '-n', address, '-g', 'ordered');
    expect(gone).toMatchObject({ code: 1, stdout: '' });
    expect(gone.stderr).toContain('HTTP 404: consumer group "ordered" has no configuration');
  });

  it('clusterList prints the broker, and deleteTopic removes a topic', async () => {
    const cluster = await mqadmin('clusterList', '-n', address);
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toMatch(/^DefaultCluster\s+broker-a\s+0\s+127\.0\.0\.1:18081\s+\d+\.\d+\.\d+\S*\s+127\.0\.0\.1:\d+$/m);

    await topics.upsert({ name: 'doomed' });
    expect(await mqadmin('deleteTopic', '-n', address, '-t', 'doomed')).toEqual({
      code: 0,
      stdout: 'delete topic [doomed] from cluster [DefaultCluster] success.\n',
      stderr: '',
    });
    expect(topics.get('doomed')).toBeUndefined();
  });

  it.each([
    [['bogus'], 2, "mqadmin: unknown command 'bogus'"],
    [['updateTopic'], 2, "mqadmin: required option '-t, --topic <topic>' not specified"],
    [['updateTopic', '-t', 'x', '-r', 'many'], 2, "argument 'many' is invalid"],
    [['updateTopic', '-t', 'x', '-a', '+retention=1d'], 2, 'mqadmin: unsupported attribute "retention"'],
    [['resetOffsetByTime', '-g', 'g', '-t', 'orders', '-s', 'yesterday'], 2, 'mqadmin: bad timestamp "yesterday"'],
    [['topicStatus', '-t', 'nope'], 1, 'mqadmin: GET /topics/nope failed: HTTP 404: topic "nope" does not exist'],
    [['updateTopic', '-t', 'bad name'], 1, 'HTTP 400: Invalid topic "bad name": the name contains characters'],
    [['queryMsgById', '-i', 'missing'], 1, 'HTTP 404: message "missing" was not found'],
    [['updateSubGroup', '-g', 'g', '-o', 'yes'], 2, 'mqadmin: bad consumeMessageOrderly "yes": expected true or false'],
    [['updateSubGroup', '-g', 'g', '-r', '-1'], 2, 'mqadmin: bad retryMaxTimes -1 for -r: expected 0 or more'],
    [['updateSubGroup', '-g', 'g', '-r', '5000'], 1, 'HTTP 400: Invalid consumer group "g"'],
    [['updateSubGroup', '-g', 'bad group'], 1, 'HTTP 400: Invalid consumer group "bad group"'],
  ])('fails %j with exit code %i and one line', async (argv, code, reason) => {
    const needsAddress = argv[0] !== 'bogus';
    const result = await mqadmin(...argv, ...(needsAddress ? ['-n', address] : []));
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(reason);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('fails with exit code 1 and one line when nothing listens', async () => {
    const port = await freePort();
    const result = await mqadmin('topicList', '-n', `127.0.0.1:${port}`);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `mqadmin: cannot reach the broker admin API at http://127.0.0.1:${port}: ECONNREFUSED\n` });
  });

  describe('as a process (npm run mqadmin)', () => {
    const execFileAsync = promisify(execFile);
    const spawnCli = (...argv: string[]) =>
      execFileAsync('npm', ['run', '--silent', 'mqadmin', '--', ...argv], { cwd: ROOT, env: { ...process.env, npm_config_loglevel: 'error' } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );

    it('prints the cluster and exits 0', async () => {
      const result = await spawnCli('clusterList', '-n', address);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^#Cluster Name\s+#Broker Name/);
      expect(result.stdout).toContain('DefaultCluster');
    });

    it('exits non-zero with one line on stderr for an HTTP error', async () => {
      const result = await spawnCli('topicStatus', '-n', address, '-t', 'nope');
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(
        result.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('mqadmin:')),
      ).toEqual(['mqadmin: GET /topics/nope failed: HTTP 404: topic "nope" does not exist']);
    });
  });
});

describe('mqadmin CLI with a bearer token (authenticationEnabled)', () => {
  const SUPER = { username: 'rocketmq', password: '12345678' };
  let broker: TestBroker;
  let address: string;
  let token: string;

  beforeAll(async () => {
    broker = await startTestBroker({ authenticationEnabled: true, initAuthenticationUser: JSON.stringify(SUPER) });
    address = `127.0.0.1:${broker.httpPort}`;
    const response = await fetch(`http://${address}/auth/tokens`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${SUPER.username}:${SUPER.password}`).toString('base64')}` },
    });
    expect(response.status).toBe(201);
    token = ((await response.json()) as { token: string }).token;
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('runs commands with --token or MQADMIN_TOKEN instead of the keys', async () => {
    const created = await mqadminWithEnv({}, 'updateTopic', '-n', address, '-t', 'by-token', '--token', token);
    expect(created).toMatchObject({ code: 0, stderr: '', stdout: expect.stringContaining(`create topic to ${address} success.`) });
    expect(broker.broker.topics.get('by-token')).toBeDefined();

    const listed = await mqadminWithEnv({ MQADMIN_TOKEN: token }, 'topicList', '-n', address);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout.split('\n')).toContain('by-token');

    expect(await mqadminWithEnv({}, 'topicList', '-n', address)).toMatchObject({ code: 1, stderr: expect.stringContaining('HTTP 401') });
  });

  it('fails with exit code 1 for a token the broker refuses', async () => {
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BA' : 'AA'}`;
    const result = await mqadminWithEnv({}, 'topicList', '-n', address, '--token', tampered);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'mqadmin: GET /topics failed: HTTP 401: the bearer token signature does not match.\n' });
  });

  it.each([
    [['--token', 'TOKEN', '--accessKey', 'rocketmq', '--secretKey', '12345678'], {}],
    [['--token', 'TOKEN'], { MQADMIN_ACCESS_KEY: 'rocketmq', MQADMIN_SECRET_KEY: '12345678' }],
    [['--accessKey', 'rocketmq'], { MQADMIN_TOKEN: 'TOKEN' }],
  ])('refuses Basic credentials and a token at once (%j, env %j) with exit code 2 and one line', async (flags, env) => {
    const result = await mqadminWithEnv(env, 'topicList', '-n', address, ...flags.map((flag) => (flag === 'TOKEN' ? token : flag)));
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'mqadmin: give either an access key and a secret key (--accessKey/--secretKey or MQADMIN_ACCESS_KEY/MQADMIN_SECRET_KEY) or a bearer token (--token or MQADMIN_TOKEN), not both\n',
    });
  });

  it('refuses an empty token, or one with spaces, with exit code 2', async () => {
    for (const bad of ['', `Bearer ${token}`]) {
      const result = await mqadminWithEnv({}, 'topicList', '-n', address, '--token', bad);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: 'mqadmin: the bearer token (--token or MQADMIN_TOKEN) must be one word of printable ASCII characters\n',
      });
    }
  });
});
