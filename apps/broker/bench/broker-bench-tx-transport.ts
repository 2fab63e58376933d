/**
 * Transport case of the broker benchmark (`--only tx-transport`): what one transaction's two
 * unary calls (SendMessage of a half message, then EndTransaction COMMIT) cost the client and the
 * broker, by wire stack, so that a decision about libs/mq's client rests on a figure:
 *   official  the official Node client (`Producer.beginTransaction()`, `send`, `commit`), as libs/mq uses it;
 *   grpc-js   a raw @grpc/grpc-js client with the broker's own proto-loader codecs (no official client);
 *   http2     node:http2 with protobufjs codecs from the same protos, gRPC framing by hand (no grpc-js).
 * Each stack runs closed loops at 1 and 32 transactions in flight, in alternating rounds so a change
 * of machine load hits all alike. At 1 in flight every call is alone in its event-loop turn, as in
 * an application where each transaction's calls sit between its SQL statements; at 32 calls share
 * turns and writes. Figures: transactions per second, and CPU per transaction of this process
 * (the client) and of the broker child.
 */
import { Client, credentials, Metadata, MethodDefinition } from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as protobuf from 'protobufjs';
import { Producer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { EndTransactionResponse, SendMessageResponse } from '../src/grpc/messaging.types';
import { loadMessagingService, rocketmqProtoDir } from '../src/grpc/proto-loader';
import { ProtoMessageFactory } from './broker-bench-clients';
import { BrokerBenchChild as BrokerChild, fixed, OfficialClients } from '@app/testkit';

export const TX_TRANSPORT_STACKS = ['official', 'grpc-js', 'http2'] as const;
export type TxTransportStack = (typeof TX_TRANSPORT_STACKS)[number];
export const TX_TRANSPORT_CONCURRENCIES = [1, 32] as const;
const ROUNDS = 2;
const BODY = Buffer.alloc(256, 0x61);

export interface TxTransportFigure {
  stack: TxTransportStack;
  inFlight: number;
  perSecond: number;
  clientCpuMsPerTx: number;
  brokerCpuMsPerTx: number;
}

/** One transaction: half message + COMMIT, resolved when EndTransaction answered OK. */
type Transaction = () => Promise<void>;

/** The two calls through the official client. */
async function officialStack(clients: OfficialClients, topic: string): Promise<Transaction> {
  const producer: Producer = await clients.producer({ topics: [topic], checker: { check: () => Promise.resolve(TransactionResolution.COMMIT) } });
  return async () => {
    const transaction = producer.beginTransaction();
    await producer.send({ topic, body: BODY, keys: ['k'], tag: 'TagA' }, transaction);
    await transaction.commit();
  };
}

/** The two calls on a raw grpc-js client with the broker's proto-loader codecs and the official client's headers. */
function grpcJsStack(endpoint: string, topic: string): { transaction: Transaction; close(): void } {
  const service = loadMessagingService();
  const client = new Client(endpoint, credentials.createInsecure());
  const clientId = `bench-grpcjs-${process.pid}`;
  const factory = new ProtoMessageFactory(topic, 1);
  const unary = <Response>(method: string, request: object): Promise<Response> => {
    const definition = service[method] as MethodDefinition<object, object>;
    const metadata = new Metadata();
    for (const [name, value] of Object.entries(transportHeaders(clientId))) metadata.set(name, value);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        metadata,
        { deadline: Date.now() + 10_000 },
        (error, response) => (error ? reject(error) : resolve(response as Response)),
      );
    });
  };
  const transaction = async (): Promise<void> => {
    const message = factory.next();
    message.body = BODY;
    message.systemProperties!.messageType = 'TRANSACTION';
    const sent = await unary<SendMessageResponse>('SendMessage', { messages: [message] });
    const entry = sent.entries?.[0];
    if (sent.status.code !== 'OK' || !entry?.transactionId) throw new Error(`SendMessage: ${JSON.stringify(sent.status)}`);
    const ended = await unary<EndTransactionResponse>('EndTransaction', {
      topic: { name: topic },
      messageId: entry.messageId,
      transactionId: entry.transactionId,
      resolution: 'COMMIT',
      source: 'SOURCE_CLIENT',
    });
    if (ended.status.code !== 'OK') throw new Error(`EndTransaction: ${JSON.stringify(ended.status)}`);
  };
  return { transaction, close: () => client.close() };
}

/** The two calls on node:http2 with protobufjs codecs: gRPC's length-prefixed framing and trailers by hand. */
function http2Stack(endpoint: string, topic: string): { transaction: Transaction; close(): void } {
  const root = new protobuf.Root();
  const protobufDir = dirname(require.resolve('protobufjs/package.json'));
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? join(protobufDir, target) : join(rocketmqProtoDir(), target));
  root.loadSync('apache/rocketmq/v2/service.proto');
  const codec = (name: string) => root.lookupType(`apache.rocketmq.v2.${name}`);
  const [sendRequest, sendResponse, endRequest, endResponse] = [
    'SendMessageRequest',
    'SendMessageResponse',
    'EndTransactionRequest',
    'EndTransactionResponse',
  ].map(codec);
  const session = http2.connect(`http://${endpoint}`);
  const clientId = `bench-http2-${process.pid}`;
  const factory = new ProtoMessageFactory(topic, 1);
  const call = (method: string, request: Uint8Array): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': `/apache.rocketmq.v2.MessagingService/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
        ...transportHeaders(clientId),
      });
      const frame = Buffer.allocUnsafe(5 + request.length);
      frame[0] = 0;
      frame.writeUInt32BE(request.length, 1);
      frame.set(request, 5);
      stream.end(frame);
      const chunks: Buffer[] = [];
      let grpcStatus: unknown;
      stream.on('response', (headers) => (grpcStatus = headers['grpc-status'] ?? grpcStatus));
      stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => (grpcStatus = trailers['grpc-status']));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('end', () =>
        grpcStatus === '0' ? resolve(Buffer.concat(chunks).subarray(5)) : reject(new Error(`${method}: grpc-status ${String(grpcStatus)}`)),
      );
    });
  const transaction = async (): Promise<void> => {
    const message = factory.next();
    const request = sendRequest.fromObject({
      messages: [{ ...message, body: BODY, systemProperties: { ...message.systemProperties, messageType: 'TRANSACTION' } }],
    });
    const sent = sendResponse.toObject(sendResponse.decode(await call('SendMessage', sendRequest.encode(request).finish())), { enums: String });
    const entry = (sent.entries as Array<{ messageId: string; transactionId: string }> | undefined)?.[0];
    if (!entry?.transactionId) throw new Error(`SendMessage: ${JSON.stringify(sent.status)}`);
    const end = endRequest.fromObject({
      topic: { name: topic },
      messageId: entry.messageId,
      transactionId: entry.transactionId,
      resolution: 'COMMIT',
      source: 'SOURCE_CLIENT',
    });
    const ended = endResponse.toObject(endResponse.decode(await call('EndTransaction', endRequest.encode(end).finish())), { enums: String });
    if ((ended.status as { code: string }).code !== 'OK') throw new Error(`EndTransaction: ${JSON.stringify(ended.status)}`);
  };
  return { transaction, close: () => session.close() };
}

/** The request headers the official client sends on every call (rocketmq-clients docs/transport.md), less signing. */
function transportHeaders(clientId: string): Record<string, string> {
  return {
    'x-mq-protocol': 'v2',
    'x-mq-client-id': clientId,
    'x-mq-date-time': new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, ''),
    'x-mq-request-id': crypto.randomUUID(),
    'x-mq-language': 'HTTP',
    'x-mq-client-version': '5.0.0',
  };
}

async function closedLoop(transaction: Transaction, inFlight: number, durationMs: number): Promise<number> {
  const stopAt = performance.now() + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < stopAt) {
        await transaction();
        done++;
      }
    }),
  );
  return done;
}

/** T3: the three stacks at 1 and 32 in flight, `ROUNDS` alternating rounds of `loopMs` each (figures summed over rounds). */
export async function measureTxTransport(broker: BrokerChild, topic: string, limits: { warmupMs: number; loopMs: number }): Promise<TxTransportFigure[]> {
  const clients = new OfficialClients(broker.grpcEndpoint);
  const grpcJs = grpcJsStack(broker.grpcEndpoint, topic);
  const raw = http2Stack(broker.grpcEndpoint, topic);
  const stacks: Record<TxTransportStack, Transaction> = {
    official: await officialStack(clients, topic),
    'grpc-js': grpcJs.transaction,
    http2: raw.transaction,
  };
  const totals = new Map<string, { done: number; wallMs: number; clientUs: number; brokerS: number }>();
  try {
    console.log(`\n== T3. One transaction's two calls (half SendMessage + EndTransaction), by client wire stack ==`);
    for (const stack of TX_TRANSPORT_STACKS) await closedLoop(stacks[stack], 8, limits.warmupMs);
    for (let round = 0; round < ROUNDS; round++) {
      for (const stack of TX_TRANSPORT_STACKS) {
        for (const inFlight of TX_TRANSPORT_CONCURRENCIES) {
          const cpuBefore = process.cpuUsage();
          const brokerBefore = broker.process.cpuSeconds();
          const startedAt = performance.now();
          const done = await closedLoop(stacks[stack], inFlight, limits.loopMs / ROUNDS);
          const cpu = process.cpuUsage(cpuBefore);
          const key = `${stack}/${inFlight}`;
          const total = totals.get(key) ?? { done: 0, wallMs: 0, clientUs: 0, brokerS: 0 };
          total.done += done;
          total.wallMs += performance.now() - startedAt;
          total.clientUs += cpu.user + cpu.system;
          total.brokerS += broker.process.cpuSeconds() - brokerBefore;
          totals.set(key, total);
        }
      }
    }
  } finally {
    grpcJs.close();
    raw.close();
    await clients.shutdownAll();
  }
  const figures: TxTransportFigure[] = [];
  for (const stack of TX_TRANSPORT_STACKS) {
    for (const inFlight of TX_TRANSPORT_CONCURRENCIES) {
      const total = totals.get(`${stack}/${inFlight}`)!;
      const figure = {
        stack,
        inFlight,
        perSecond: total.done / (total.wallMs / 1000),
        clientCpuMsPerTx: total.clientUs / 1000 / total.done,
        brokerCpuMsPerTx: (total.brokerS * 1000) / total.done,
      };
      figures.push(figure);
      console.log(
        `${stack.padEnd(8)} ${String(inFlight).padStart(2)} in flight: ${fixed(figure.perSecond, 0)} tx/s, CPU per transaction: client ${fixed(figure.clientCpuMsPerTx, 3)} ms, broker ${fixed(figure.brokerCpuMsPerTx, 3)} ms`,
      );
    }
  }
  return figures;
}
