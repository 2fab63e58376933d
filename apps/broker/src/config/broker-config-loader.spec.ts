import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from './broker-config';
import { BrokerConfigError } from './broker-config.errors';
import { loadBrokerConfig, parseBrokerConf } from './broker-config-loader';

describe('loadBrokerConfig', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'broker-config-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function confFile(lines: string[]): Promise<string> {
    const path = join(dir, 'broker.conf');
    await writeFile(path, lines.join('\n'));
    return path;
  }

  it('uses the documented defaults when nothing is configured', () => {
    const expected: BrokerConfig = {
      grpcPort: 8081,
      httpPort: 8080,
      host: '127.0.0.1',
      storeDir: './.data/broker',
      flushDiskType: 'ASYNC_FLUSH',
      flushIntervalMs: 500,
      segmentSizeBytes: 64 * 1024 * 1024,
      fileReservedTimeHours: 72,
      diskMaxUsedSpaceRatio: 75,
      diskSpaceWarningLevelRatio: 90,
      diskSpaceCleanForciblyRatio: 85,
      autoCreateTopicEnable: false,
      defaultTopicQueueNums: 8,
      autoCreateSubscriptionGroup: true,
      maxMessageSizeBytes: 4194304,
      transactionTimeoutMs: 6000,
      transactionCheckIntervalMs: 30000,
      transactionCheckMax: 15,
      transactionExtensionsEnabled: true,
      channelExpiredTimeoutMs: 120000,
      minLongPollingTimeoutMs: 5000,
      maxLongPollingTimeoutMs: 20000,
      minReceiveInvisibleDurationMs: 10000,
      maxInvisibleDurationMs: 43200000,
      brokerName: 'broker-a',
      clusterName: 'DefaultCluster',
      repair: false,
      tlsMode: 'disabled',
      tlsNeedClientAuth: 'none',
      tlsAuthClient: false,
      tlsTrustCertPath: '',
      tlsCertPath: '',
      tlsKeyPath: '',
      authenticationEnabled: false,
      initAuthenticationUser: '',
      authenticationMaxClockSkewMs: 900_000,
      authorizationEnabled: false,
      maxConnections: 10_000,
      traceTopicEnable: true,
      msgTraceTopicName: 'RMQ_SYS_TRACE_TOPIC',
      appTraceTopicName: 'MQ_APP_TRACE_TOPIC',
    };
    expect(loadBrokerConfig({})).toEqual({ config: expected, warnings: [] });
  });

  it("reads TLS settings under Apache's names, and refuses a TLS mode without a certificate", async () => {
    const path = await confFile(['tls.server.mode=enforcing', 'tlsCertPath=/etc/tls/broker.crt', 'tls.server.keyPath=/etc/tls/broker.key']);
    expect(loadBrokerConfig({ configFile: path }).config).toMatchObject({
      tlsMode: 'enforcing',
      tlsCertPath: '/etc/tls/broker.crt',
      tlsKeyPath: '/etc/tls/broker.key',
    });
    const permissive = await confFile(['tls.server.mode=permissive']);
    expect(() => loadBrokerConfig({ configFile: permissive })).toThrow(/tlsCertPath.*tlsMode permissive needs one/);
    expect(() => loadBrokerConfig({ commandLine: [{ flag: '--tls-mode', field: 'tlsMode', value: 'enforcing' }] })).toThrow(/tlsCertPath/);
    const unknown = await confFile(['tls.server.mode=strict']);
    expect(() => loadBrokerConfig({ configFile: unknown })).toThrow(/disabled, permissive or enforcing/);
  });

  it("reads client-certificate settings under Apache's names; refuses permissive with a required certificate, authClient without asking for one or without a CA", async () => {
    const path = await confFile([
      'tls.server.mode=enforcing',
      'tls.server.certPath=/etc/tls/broker.crt',
      'tls.server.keyPath=/etc/tls/broker.key',
      'tls.server.need.client.auth=REQUIRE',
      'tls.server.authClient=true',
      'tls.server.trustCertPath=/etc/tls/clients-ca.crt',
    ]);
    expect(loadBrokerConfig({ configFile: path }).config).toMatchObject({
      tlsMode: 'enforcing',
      tlsNeedClientAuth: 'require',
      tlsAuthClient: true,
      tlsTrustCertPath: '/etc/tls/clients-ca.crt',
    });
    const permissive = await confFile(['tls.server.mode=permissive', 'tlsCertPath=/c', 'tlsKeyPath=/k', 'tls.server.need.client.auth=require']);
    expect(() => loadBrokerConfig({ configFile: permissive })).toThrow(/tlsNeedClientAuth.*a plaintext client presents no certificate/);
    const unasked = await confFile(['tls.server.authClient=true', 'tls.server.trustCertPath=/ca']);
    expect(() => loadBrokerConfig({ configFile: unasked })).toThrow(/tlsAuthClient.*unless tlsNeedClientAuth is optional or require/);
    const noCa = await confFile(['tls.server.authClient=true', 'tls.server.need.client.auth=optional']);
    expect(() => loadBrokerConfig({ configFile: noCa })).toThrow(/tlsTrustCertPath/);
    const badMode = await confFile(['tls.server.need.client.auth=always']);
    expect(() => loadBrokerConfig({ configFile: badMode })).toThrow(/none, optional or require/);
  });

  it("reads the receive bounds under Apache's proxy keys, and refuses a minimum above its maximum", async () => {
    const path = await confFile([
      'grpcClientConsumerMinLongPollingTimeoutMillis=1000',
      'grpcClientConsumerMaxLongPollingTimeoutMillis=30000',
      'minInvisibleTimeMillsForRecv=5000',
      'maxInvisibleTimeMills=3600000',
    ]);
    expect(loadBrokerConfig({ configFile: path }).config).toMatchObject({
      minLongPollingTimeoutMs: 1000,
      maxLongPollingTimeoutMs: 30000,
      minReceiveInvisibleDurationMs: 5000,
      maxInvisibleDurationMs: 3600000,
    });
    const inverted = await confFile(['grpcClientConsumerMinLongPollingTimeoutMillis=30000', 'grpcClientConsumerMaxLongPollingTimeoutMillis=20000']);
    expect(() => loadBrokerConfig({ configFile: inverted })).toThrow(
      'Invalid value "30000" for minLongPollingTimeoutMs (configuration): expected at most maxLongPollingTimeoutMs (20000)',
    );
    const invisible = await confFile(['minInvisibleTimeMillsForRecv=50000000']);
    expect(() => loadBrokerConfig({ configFile: invisible })).toThrow('expected at most maxInvisibleDurationMs (43200000)');
  });

  it('maps every RocketMQ broker.conf key onto the project names', async () => {
    const path = await confFile([
      '# RocketMQ broker.conf',
      'brokerClusterName = TestCluster',
      'brokerName = broker-b',
      'listenPort = 10911',
      'storePathRootDir = /var/lib/broker',
      'flushDiskType = SYNC_FLUSH',
      'flushIntervalCommitLog = 200',
      'mappedFileSizeCommitLog = 1073741824',
      'fileReservedTime = 48',
      'diskMaxUsedSpaceRatio = 70',
      'diskSpaceWarningLevelRatio = 95',
      'diskSpaceCleanForciblyRatio = 80',
      'autoCreateTopicEnable = true',
      'defaultTopicQueueNums = 4',
      'autoCreateSubscriptionGroup = false',
      'maxMessageSize = 65536',
      'transactionTimeOut = 3000',
      'transactionCheckInterval = 10000',
      'transactionCheckMax = 5',
      'channelExpiredTimeout = 60000',
    ]);
    const { config, warnings } = loadBrokerConfig({ configFile: path });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      clusterName: 'TestCluster',
      brokerName: 'broker-b',
      grpcPort: 10911,
      storeDir: '/var/lib/broker',
      flushDiskType: 'SYNC_FLUSH',
      flushIntervalMs: 200,
      segmentSizeBytes: 1073741824,
      fileReservedTimeHours: 48,
      diskMaxUsedSpaceRatio: 70,
      diskSpaceWarningLevelRatio: 95,
      diskSpaceCleanForciblyRatio: 80,
      autoCreateTopicEnable: true,
      defaultTopicQueueNums: 4,
      autoCreateSubscriptionGroup: false,
      maxMessageSizeBytes: 65536,
      transactionTimeoutMs: 3000,
      transactionCheckIntervalMs: 10000,
      transactionCheckMax: 5,
      channelExpiredTimeoutMs: 60000,
    });
  });

  it('accepts the old spelling mapedFileSizeCommitLog', () => {
    expect(parseBrokerConf('mapedFileSizeCommitLog=1048576', 'broker.conf').values).toEqual({ segmentSizeBytes: 1048576 });
  });

  it("accepts the project's own names as keys", () => {
    const text = 'httpPort=9090\ngrpcPort=9091\nhost=0.0.0.0\nstoreDir=/tmp/s\nsegmentSizeBytes=4096\nrepair=true\ntransactionExtensionsEnabled=false';
    expect(parseBrokerConf(text, 'broker.conf').values).toEqual({
      httpPort: 9090,
      grpcPort: 9091,
      host: '0.0.0.0',
      storeDir: '/tmp/s',
      segmentSizeBytes: 4096,
      repair: true,
      transactionExtensionsEnabled: false,
    });
  });

  it('warns about unknown keys, naming key, file and line, and still loads the rest', async () => {
    const path = await confFile(['brokerName=b', 'deleteWhen=04', 'brokerRole=ASYNC_MASTER']);
    const { config, warnings } = loadBrokerConfig({ configFile: path });
    expect(config.brokerName).toBe('b');
    expect(warnings.map((warning) => [warning.key, warning.line])).toEqual([
      ['deleteWhen', 2],
      ['brokerRole', 3],
    ]);
    expect(warnings[0].message).toContain('deleteWhen');
    expect(warnings[0].message).toContain(path);
  });

  it('lets the last setting of a field win, across spellings, and warns about the overridden one', () => {
    const { values, warnings } = parseBrokerConf('listenPort=1000\ngrpcPort=2000', 'broker.conf');
    expect(values.grpcPort).toBe(2000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('grpcPort');
    expect(warnings[0].message).toContain('listenPort');
  });

  it.each([
    ['listenPort', 'abc', 'an integer port from 0 to 65535 (0 picks a free port)'],
    ['listenPort', '65536', 'an integer port from 0 to 65535 (0 picks a free port)'],
    ['httpPort', '-1', 'an integer port from 0 to 65535 (0 picks a free port)'],
    ['flushDiskType', 'FAST', 'SYNC_FLUSH or ASYNC_FLUSH'],
    ['mappedFileSizeCommitLog', '-1', 'a positive integer'],
    ['mappedFileSizeCommitLog', '0', 'a positive integer'],
    ['maxMessageSize', '4MB', 'a positive integer'],
    ['fileReservedTime', '-3', 'a non-negative integer'],
    ['flushIntervalCommitLog', '1.5', 'a positive integer'],
    ['autoCreateTopicEnable', 'yes', 'true or false'],
    ['brokerName', '', 'a non-empty string'],
  ])('rejects %s=%s, naming the key, the value and what is expected', async (key, value, expected) => {
    const path = await confFile(['brokerName=ok', `${key}=${value}`]);
    const error = captureError(() => loadBrokerConfig({ configFile: path }));
    expect(error).toBeInstanceOf(BrokerConfigError);
    expect(error).toMatchObject({ code: 'BROKER_ERR_INVALID_CONFIG', key, value, source: path });
    expect(error.message).toBe(`Invalid value ${JSON.stringify(value)} for ${key} (${path} line 2): expected ${expected}`);
  });

  it('reads true and false in any case, as Java does', () => {
    expect(parseBrokerConf('autoCreateTopicEnable=TRUE\nrepair=False', 'broker.conf').values).toEqual({
      autoCreateTopicEnable: true,
      repair: false,
    });
  });

  it('applies defaults < config file < command line', async () => {
    const path = await confFile(['listenPort=9000', 'flushDiskType=SYNC_FLUSH']);
    const { config } = loadBrokerConfig({
      configFile: path,
      commandLine: [{ flag: '--port', field: 'grpcPort', value: '9100' }],
    });
    expect(config.grpcPort).toBe(9100);
    expect(config.flushDiskType).toBe('SYNC_FLUSH');
    expect(config.httpPort).toBe(8080);
  });

  it('validates command-line values the same way, naming the flag', () => {
    const error = captureError(() => loadBrokerConfig({ commandLine: [{ flag: '--flush', field: 'flushDiskType', value: 'fast' }] }));
    expect(error).toMatchObject({ code: 'BROKER_ERR_INVALID_CONFIG', key: '--flush', source: 'command line' });
    expect(error.message).toBe('Invalid value "fast" for --flush (command line): expected SYNC_FLUSH or ASYNC_FLUSH');
  });

  it('reports a missing config file with its own code', () => {
    const path = join(dir, 'missing.conf');
    const error = captureError(() => loadBrokerConfig({ configFile: path }));
    expect(error).toMatchObject({ code: 'BROKER_ERR_CONFIG_UNREADABLE', source: path });
    expect(error.message).toContain(path);
  });
});

function captureError(action: () => unknown): BrokerConfigError {
  try {
    action();
  } catch (error) {
    return error as BrokerConfigError;
  }
  throw new Error('expected an error');
}
