import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MqConsumer, MqMessage, MqModule, MqProducer, MqTlsOptions, MqTransactionProducer, resolveMqOptions } from '@app/mq';
import { QueryRouteResponse } from '../apps/broker/src/grpc/messaging.types';
import { RawMessagingClient } from './support/raw-messaging-client';
import { BrokerChild, buildForChildren, ChildBuild, JsonLineChild } from '@app/testkit';
import { waitFor } from './support/transaction-test-support';

/**
 * The broker with `tlsMode=enforcing`: gRPC and the admin API on TLS with a certificate made for
 * this run (openssl: a throwaway CA signs a certificate for 127.0.0.1; nothing is committed). A
 * client trusting the CA works, the official client included (sslEnabled, the CA given to grpc-js by
 * GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: the client's createSsl() takes no CA, and grpc-js ignores
 * NODE_EXTRA_CA_CERTS); a plaintext client and a client trusting another CA are refused; a
 * certificate path that cannot be read stops the broker with exit code 2, naming the key.
 */

const TOPIC = 'tls-orders';

/** Writes a CA, a certificate for 127.0.0.1 signed by it, and an unrelated CA, into `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string; otherCa: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-subj',
      `/CN=${name} for broker-tls test`,
    );
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=127.0.0.1');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > san.cnf'], { cwd: dir });
  openssl(
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'broker.crt',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
  );
  // Client certificates: one signed by the CA, one by the other CA.
  for (const [name, ca] of [
    ['client', 'ca'],
    ['stranger', 'other-ca'],
  ]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name} of broker-tls test`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1');
  }
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'broker.crt'), key: join(dir, 'broker.key'), otherCa: join(dir, 'other-ca.crt') };
}

/** GET over HTTPS trusting `ca`: status and body. */
function httpsGet(url: string, ca: Buffer, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The official client, in a child process whose grpc-js trusts the test CA: sends one message and receives it. */
const OFFICIAL_CLIENT_SCRIPT = `
const { Producer, SimpleConsumer, FilterExpression } = require('rocketmq-client-nodejs');
const [endpoints, topic] = process.argv.slice(2);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
(async () => {
  const producer = new Producer({ endpoints, sslEnabled: true, logger: quiet });
  await producer.startup();
  const receipt = await producer.send({ topic, keys: ['k-1'], body: Buffer.from('over tls') });
  const consumer = new SimpleConsumer({ endpoints, sslEnabled: true, logger: quiet, consumerGroup: 'tls-group',
    subscriptions: new Map([[topic, FilterExpression.SUB_ALL]]), awaitDuration: 5000 });
  await consumer.startup();
  let received = [];
  for (let i = 0; i < 20 && received.length === 0; i++) received = await consumer.receive(1, 10000);
  for (const view of received) await consumer.ack(view);
  console.log(JSON.stringify({ msg: 'done', sent: receipt.messageId, received: received.map((v) => ({ id: v.messageId, body: v.body.toString() })) }));
  await consumer.shutdown();
  await producer.shutdown();
  process.exit(0);
})().catch((error) => { console.log(JSON.stringify({ msg: 'failed', error: String(error) })); process.exit(1); });
`;

const MQ_TOPIC = 'tls-mq-orders';
const MQ_TX_TOPIC = 'tls-mq-tx-orders';

/** What the libs/mq consumers below received, by topic. */
const mqReceived: Array<{ topic: string; id: string }> = [];

@Injectable()
class TlsOrderReaders {
  @MqConsumer({ topic: MQ_TOPIC, group: 'tls-mq-reader' })
  async onOrder(message: MqMessage<{ id: string }>): Promise<void> {
    mqReceived.push({ topic: MQ_TOPIC, id: message.payload.id });
  }

  @MqConsumer({ topic: MQ_TX_TOPIC, group: 'tls-mq-tx-reader' })
  async onCommitted(message: MqMessage<{ id: string }>): Promise<void> {
    mqReceived.push({ topic: MQ_TX_TOPIC, id: message.payload.id });
  }
}

/**
 * libs/mq in this process (whose grpc-js was given no roots: no GRPC_DEFAULT_SSL_ROOTS_FILE_PATH)
 * with `tls`: MqProducer sends, a half message is committed on the node:http2 wire, and both are
 * delivered to @MqConsumer handlers, whose receives and acks go through the official client's
 * channels.
 */
async function expectMqRoundTrip(adminUrl: string, ca: Buffer, grpcEndpoint: string, tls: MqTlsOptions, id: string): Promise<void> {
  for (const [topic, messageType] of [
    [MQ_TOPIC, 'NORMAL'],
    [MQ_TX_TOPIC, 'TRANSACTION'],
  ]) {
    const created = await httpsGet(`${adminUrl}/topics/${topic}`, ca, 'PUT', JSON.stringify({ readQueueNums: 1, writeQueueNums: 1, messageType }));
    expect(created.status).toBe(200);
  }
  const app = await Test.createTestingModule({
    imports: [MqModule.forRoot({ endpoints: grpcEndpoint, tls, logger: false, consumers: { shutdownTimeoutMs: 5_000 } })],
    providers: [TlsOrderReaders],
  }).compile();
  await app.init();
  try {
    await app.get(MqProducer).send(MQ_TOPIC, { id });
    const half = await app.get(MqTransactionProducer).sendHalf(MQ_TX_TOPIC, { id });
    await half.commit();
    await waitFor('both messages delivered over TLS', () => mqReceived.filter((entry) => entry.id === id).length === 2, 30_000);
    expect(mqReceived.filter((entry) => entry.id === id)).toEqual(
      expect.arrayContaining([
        { topic: MQ_TOPIC, id },
        { topic: MQ_TX_TOPIC, id },
      ]),
    );
  } finally {
    await app.close();
  }
}

/** A libs/mq producer with `tls` that must fail to start: the broker refuses it or it refuses the broker. */
async function expectMqRefused(grpcEndpoint: string, tls: MqTlsOptions | boolean): Promise<void> {
  const producer = new MqProducer(resolveMqOptions({ endpoints: grpcEndpoint, tls, logger: false, producer: { topics: [MQ_TOPIC] } }));
  try {
    await expect(producer.start()).rejects.toMatchObject({ code: 'MQ_ERR_BROKER_UNAVAILABLE' });
  } finally {
    await producer.stop();
  }
}

/** A broker child on TLS: a throwaway CA and certificates in a fresh directory, the broker started with `flags(files)`. */
interface TlsBroker {
  build: ChildBuild;
  dir: string;
  files: ReturnType<typeof makeCertificates>;
  broker: BrokerChild;
  grpcEndpoint: string;
  adminUrl: string;
}

async function startTlsBroker(dirPrefix: string, flags: (files: ReturnType<typeof makeCertificates>) => string[]): Promise<TlsBroker> {
  const build = await buildForChildren(['apps/broker/src', 'libs/mq/src', 'test/support']);
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const files = makeCertificates(dir);
  const broker = new BrokerChild(build, ['--port', '0', '--http-port', '0', '--store', join(dir, 'store'), ...flags(files)]);
  const ready = await broker.waitForLine((line) => line.msg === 'broker ready');
  return { build, dir, files, broker, grpcEndpoint: `127.0.0.1:${String(ready.grpcPort)}`, adminUrl: String(ready.adminUrl) };
}

async function stopTlsBroker(started: Partial<TlsBroker>, clients: RawMessagingClient[]): Promise<void> {
  for (const client of clients) client.close();
  await started.broker?.stop('SIGKILL');
  await started.build?.remove();
  if (started.dir) await rm(started.dir, { recursive: true, force: true });
}

describe('broker on TLS (tlsMode enforcing)', () => {
  let build: ChildBuild;
  let dir: string;
  let files: ReturnType<typeof makeCertificates>;
  let broker: BrokerChild;
  let grpcEndpoint: string;
  let adminUrl: string;
  const clients: RawMessagingClient[] = [];

  beforeAll(async () => {
    ({ build, dir, files, broker, grpcEndpoint, adminUrl } = await startTlsBroker('broker-tls-', (certificates) => [
      '--tls-mode',
      'enforcing',
      '--tls-cert',
      certificates.cert,
      '--tls-key',
      certificates.key,
    ]));
  }, 60_000);

  afterAll(() => stopTlsBroker({ build, dir, broker }, clients));

  function rawClient(channel = credentials.createSsl(readFileSync(files.ca))): RawMessagingClient {
    const client = new RawMessagingClient(grpcEndpoint, undefined, channel);
    clients.push(client);
    return client;
  }

  it('serves the admin API on HTTPS only: a client trusting the CA gets /health, plaintext HTTP gets no answer', async () => {
    expect(adminUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsGet(`${adminUrl}/health`, readFileSync(files.ca));
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    await expect(fetch(`${adminUrl.replace('https:', 'http:')}/health`)).rejects.toThrow();
    // A client that does not trust the CA refuses the certificate.
    await expect(httpsGet(`${adminUrl}/health`, readFileSync(files.otherCa))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('serves gRPC on TLS: a client trusting the CA is answered; plaintext and another CA are refused', async () => {
    const created = await httpsGet(
      `${adminUrl}/topics/${TOPIC}`,
      readFileSync(files.ca),
      'PUT',
      JSON.stringify({ readQueueNums: 2, writeQueueNums: 2, messageType: 'NORMAL' }),
    );
    expect(created.status).toBe(200);
    const route = await rawClient().unary<QueryRouteResponse>('QueryRoute', { topic: { name: TOPIC }, endpoints: { scheme: 'IPv4', addresses: [] } });
    expect(route.status.code).toBe('OK');
    expect(route.messageQueues).toHaveLength(2);
    const request = { topic: { name: TOPIC }, endpoints: { scheme: 'IPv4', addresses: [] } };
    await expect(rawClient(credentials.createInsecure()).unary('QueryRoute', request, { deadlineMs: 3_000 })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    await expect(rawClient(credentials.createSsl(readFileSync(files.otherCa))).unary('QueryRoute', request, { deadlineMs: 3_000 })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
  });

  it('the official client with sslEnabled sends and receives when grpc-js trusts the CA (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH)', async () => {
    const script = join(dir, 'official-client.js');
    await writeFile(script, OFFICIAL_CLIENT_SCRIPT);
    const child = new JsonLineChild({
      name: 'official-tls',
      args: [script, grpcEndpoint, TOPIC],
      env: { ...build.env, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: files.ca },
    });
    const done = await child.waitForLine((line) => line.msg === 'done' || line.msg === 'failed', 60_000);
    await child.exited;
    expect(JSON.stringify(done)).toContain('"msg":"done"'); // the whole line on failure: it carries the error
    expect(done.received).toEqual([{ id: done.sent, body: 'over tls' }]);
  }, 90_000);

  it("libs/mq's transactional producer with tls: half message on its node:http2 wire, commit, delivery (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH)", async () => {
    const topic = 'tls-tx-orders';
    const created = await httpsGet(
      `${adminUrl}/topics/${topic}`,
      readFileSync(files.ca),
      'PUT',
      JSON.stringify({ readQueueNums: 1, writeQueueNums: 1, messageType: 'TRANSACTION' }),
    );
    expect(created.status).toBe(200);
    const child = new JsonLineChild({
      name: 'mq-tls-tx',
      args: [build.script('test/support/mq-tls-transaction-child.ts'), grpcEndpoint, topic],
      env: { ...build.env, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: files.ca },
    });
    const done = await child.waitForLine((line) => line.msg === 'done' || line.msg === 'failed', 60_000);
    await child.exited;
    expect(JSON.stringify(done)).toContain('"msg":"done"'); // the whole line on failure: it carries the error
    expect(done.received).toEqual([{ id: done.sent, body: JSON.stringify({ orderId: 'over tls' }) }]);
  }, 90_000);

  it('libs/mq with tls: { ca } in this process: sends, commits a half message on the node:http2 wire, consumes; tls: true without the CA is refused', async () => {
    await expectMqRoundTrip(adminUrl, readFileSync(files.ca), grpcEndpoint, { ca: readFileSync(files.ca) }, 'enforcing-ca');
    await expectMqRefused(grpcEndpoint, true);
    await expectMqRefused(grpcEndpoint, { ca: readFileSync(files.otherCa) });
  }, 90_000);

  it('a certificate that cannot be read stops the broker with exit code 2, naming the key', async () => {
    const bad = new BrokerChild(build, [
      '--port',
      '0',
      '--http-port',
      '0',
      '--store',
      join(dir, 'store-bad'),
      '--tls-mode',
      'enforcing',
      '--tls-cert',
      join(dir, 'missing.crt'),
      '--tls-key',
      files.key,
    ]);
    expect(await bad.exited).toEqual({ code: 2, signal: null });
    expect(bad.stderr).toContain('tlsCertPath');
    expect(bad.stderr).toContain('missing.crt');
  });
});

describe('broker on TLS and plaintext on one port (tlsMode permissive), client certificates optional but checked on TLS', () => {
  let build: ChildBuild;
  let dir: string;
  let files: ReturnType<typeof makeCertificates>;
  let broker: BrokerChild;
  let grpcEndpoint: string;
  let adminUrl: string;
  const clients: RawMessagingClient[] = [];
  const route = { topic: { name: TOPIC }, endpoints: { scheme: 'IPv4', addresses: [] } };

  beforeAll(async () => {
    ({ build, dir, files, broker, grpcEndpoint, adminUrl } = await startTlsBroker('broker-tls-permissive-', (certificates) => [
      '--tls-mode',
      'permissive',
      '--tls-cert',
      certificates.cert,
      '--tls-key',
      certificates.key,
      '--tls-client-auth',
      'optional',
      '--tls-trust-cert',
      certificates.ca,
    ]));
    const created = await httpsGet(
      `${adminUrl}/topics/${TOPIC}`,
      readFileSync(files.ca),
      'PUT',
      JSON.stringify({ readQueueNums: 2, writeQueueNums: 2, messageType: 'NORMAL' }),
    );
    expect(created.status).toBe(200);
  }, 60_000);

  afterAll(() => stopTlsBroker({ build, dir, broker }, clients));

  function clientWith(channel: ReturnType<typeof credentials.createInsecure>): RawMessagingClient {
    const client = new RawMessagingClient(grpcEndpoint, undefined, channel);
    clients.push(client);
    return client;
  }

  const file = (name: string): Buffer => readFileSync(join(dir, name));

  it('answers a plaintext client and a TLS client with a certificate of the trusted CA on the same port', async () => {
    const plaintext = await clientWith(credentials.createInsecure()).unary<QueryRouteResponse>('QueryRoute', route);
    expect(plaintext.status.code).toBe('OK');
    const withCertificate = await clientWith(credentials.createSsl(readFileSync(files.ca), file('client.key'), file('client.crt'))).unary<QueryRouteResponse>(
      'QueryRoute',
      route,
    );
    expect(withCertificate.status.code).toBe('OK');
    expect(withCertificate.messageQueues).toHaveLength(2);
  });

  it('serves a TLS client without a certificate (optional), and refuses one whose certificate another CA signed', async () => {
    expect((await clientWith(credentials.createSsl(readFileSync(files.ca))).unary<QueryRouteResponse>('QueryRoute', route)).status.code).toBe('OK');
    await expect(
      clientWith(credentials.createSsl(readFileSync(files.ca), file('stranger.key'), file('stranger.crt'))).unary('QueryRoute', route, { deadlineMs: 3_000 }),
    ).rejects.toMatchObject({ code: status.UNAVAILABLE });
    // The broker still serves afterwards.
    expect((await clientWith(credentials.createInsecure()).unary<QueryRouteResponse>('QueryRoute', route)).status.code).toBe('OK');
  });

  it('serves the admin API on HTTPS (client certificates are a gRPC setting)', async () => {
    expect(adminUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await httpsGet(`${adminUrl}/health`, readFileSync(files.ca))).status).toBe(200);
  });
});

describe('broker on TLS requiring client certificates (tlsNeedClientAuth require, tlsAuthClient): libs/mq with a CA and a client certificate', () => {
  let started: Partial<TlsBroker> = {};

  beforeAll(async () => {
    started = await startTlsBroker('broker-tls-client-auth-', (certificates) => [
      '--tls-mode',
      'enforcing',
      '--tls-cert',
      certificates.cert,
      '--tls-key',
      certificates.key,
      '--tls-client-auth',
      'require',
      '--tls-trust-cert',
      certificates.ca,
    ]);
  }, 60_000);

  afterAll(() => stopTlsBroker(started, []));

  const file = (name: string): Buffer => readFileSync(join(started.dir!, name));

  it('serves libs/mq given tls: { ca, cert, key } (PEM as Buffers or strings), producer, transactional producer and consumers alike', async () => {
    const { adminUrl, grpcEndpoint, files } = started as TlsBroker;
    await expectMqRoundTrip(
      adminUrl,
      readFileSync(files.ca),
      grpcEndpoint,
      { ca: readFileSync(files.ca), cert: file('client.crt'), key: file('client.key').toString() },
      'client-cert',
    );
  }, 90_000);

  it('refuses libs/mq without a client certificate, or with one another CA signed', async () => {
    const { grpcEndpoint, files } = started as TlsBroker;
    await expectMqRefused(grpcEndpoint, { ca: readFileSync(files.ca) });
    await expectMqRefused(grpcEndpoint, { ca: readFileSync(files.ca), cert: file('stranger.crt'), key: file('stranger.key') });
  }, 60_000);
});
