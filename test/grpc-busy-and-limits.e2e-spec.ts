import { MessageInput } from '../apps/broker/src/store/message-record';
import { ClientReadableStream, MethodDefinition, status as GrpcStatus } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { TooManyRequestsException } from 'rocketmq-client-nodejs';
import { storeBatchLimitBytes } from '../apps/broker/src/grpc/inbound-message-limit';
import { Message, ReceiveMessageRequest, ReceiveMessageResponse, SendMessageRequest, SendMessageResponse } from '../apps/broker/src/grpc/messaging.types';
import { loadMessagingService } from '../apps/broker/src/grpc/proto-loader';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { OfficialClients } from '@app/testkit';

const MIB = 1024 * 1024;
/** Small segments keep the requests near the store's batch limit a few MiB. */
const SEGMENT_BYTES = 4 * MIB;
const IN_FLIGHT_SEND_BYTES = 2 * MIB;
const IN_FLIGHT_SEND_BYTES_PER_CONNECTION = 1.75 * MIB;

/**
 * How the broker refuses what it has no room for: a long poll past the waiter bound and a send
 * past the in-flight bytes are TOO_MANY_REQUESTS (busy: the clients back off and retry), and a
 * request longer than the store could append is failed by grpc-js before it is read.
 */
describe('gRPC busy statuses and request limits', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;

  beforeAll(async () => {
    broker = await startTestBroker(
      { segmentSizeBytes: SEGMENT_BYTES },
      {
        messaging: {
          minLongPollingTimeoutMs: 100,
          maxLongPollingTimeoutMs: 5_000,
          maxInFlightSendBytes: IN_FLIGHT_SEND_BYTES,
          maxInFlightSendBytesPerConnection: IN_FLIGHT_SEND_BYTES_PER_CONNECTION,
        },
        delivery: { maxLongPollingWaiters: 1 },
      },
    );
    client = new RawMessagingClient(broker.grpcEndpoint);
    await broker.broker.topics.upsert({ name: 'quiet', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'bulk', readQueueNums: 1, writeQueueNums: 1 });
    // Connects the channel, so a long poll opened later reaches its wait within parkLongPoll's pause.
    await client.unary('QueryOffset', { messageQueue: { topic: { name: 'quiet' }, id: 0 }, queryOffsetPolicy: 'END' });
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  function receiveRequest(group: string): ReceiveMessageRequest {
    return {
      group: { name: group },
      messageQueue: { topic: { name: 'quiet' }, id: 0, broker: { name: 'broker-a' } },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize: 16,
      invisibleDuration: { seconds: 30 },
      autoRenew: false,
      longPollingTimeout: { seconds: 4 },
    };
  }

  /** Opens a long poll on the empty topic and waits until it holds the only waiter slot. */
  async function parkLongPoll(): Promise<ClientReadableStream<object>> {
    const call = client.openStream('ReceiveMessage', receiveRequest('parked'));
    call.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return call;
  }

  it('answers a receive past the long-poll bound with TOO_MANY_REQUESTS "polling full", not BAD_REQUEST', async () => {
    const parked = await parkLongPoll();
    try {
      const frames = await client.stream<ReceiveMessageResponse>('ReceiveMessage', receiveRequest('second'));
      expect(frames[0]).toMatchObject({ status: { code: 'TOO_MANY_REQUESTS', message: 'polling full' } });
    } finally {
      parked.cancel();
    }
  });

  it('makes the official client raise its retryable TooManyRequestsException', async () => {
    const clients = new OfficialClients(broker.grpcEndpoint);
    try {
      const simple = await clients.simpleConsumer({ consumerGroup: 'official', subscriptions: new Map([['quiet', '*']]), awaitDuration: 2_000 });
      const parked = await parkLongPoll();
      try {
        await expect(simple.receive(16, 30_000)).rejects.toBeInstanceOf(TooManyRequestsException);
      } finally {
        parked.cancel();
      }
    } finally {
      await clients.shutdownAll();
    }
  });

  /** Holds the store's next append until open(): `held` resolves once a send reached it. */
  function holdNextAppend(): { held: Promise<void>; open: () => void; restore: () => void } {
    const store = broker.broker.store;
    const append = store.append.bind(store);
    let open!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held = new Promise<void>((resolve) => (reached = resolve));
    let gated = false;
    // The next append of a test message: the broker's own appends (its message trace) pass by.
    const spy = jest.spyOn(store, 'append').mockImplementation(async (messages) => {
      const first = Array.isArray(messages) ? (messages as readonly MessageInput[])[0] : (messages as MessageInput);
      if (!gated && first?.topic === 'bulk') {
        gated = true;
        reached();
        await gate;
      }
      return append(messages);
    });
    return { held, open, restore: () => spy.mockRestore() };
  }

  function bulkMessage(bodyBytes: number): Message {
    return { topic: { name: 'bulk' }, body: Buffer.alloc(bodyBytes, 7), systemProperties: { messageId: randomUUID(), queueId: 0, messageType: 'NORMAL' } };
  }

  const serialize = (loadMessagingService().SendMessage as MethodDefinition<SendMessageRequest, unknown>).requestSerialize;

  /** A SendMessage request of 1 MiB messages whose serialized length is exactly `totalBytes`. */
  function requestOfSize(totalBytes: number): SendMessageRequest {
    const messages = Array.from({ length: Math.floor(totalBytes / MIB) }, () => bulkMessage(MIB));
    const last = bulkMessage(0);
    messages.push(last);
    for (let i = 0; i < 5; i++) {
      const missing = totalBytes - serialize({ messages }).length;
      if (missing === 0) return { messages };
      last.body = Buffer.alloc(last.body!.length + missing, 7);
    }
    throw new Error(`no request of exactly ${totalBytes} bytes`);
  }

  it('fails a request over the max receive message length with RESOURCE_EXHAUSTED before reading it', async () => {
    const limit = broker.broker.messaging.maxReceiveMessageBytes;
    // The store's batch limit plus the framing allowance, far below the proxy's 130 MiB.
    expect(limit).toBeGreaterThan(storeBatchLimitBytes(SEGMENT_BYTES));
    expect(limit).toBeLessThanOrEqual(storeBatchLimitBytes(SEGMENT_BYTES) + MIB);
    await expect(client.unary<SendMessageResponse>('SendMessage', requestOfSize(limit + 1))).rejects.toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED });
    // A request of exactly the limit is read and answered by the broker: too large for the store.
    const atLimit = await client.unary<SendMessageResponse>('SendMessage', requestOfSize(limit));
    expect(atLimit.status).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/^the batch of \d+ bytes exceeds the max \d+$/) });
  });

  it('appends a batch just under the store batch limit', async () => {
    const bodies = [MIB, MIB, MIB, MIB - 64 * 1024];
    const response = await client.unary<SendMessageResponse>('SendMessage', { messages: bodies.map(bulkMessage) });
    expect(response.status.code).toBe('OK');
    expect(response.entries).toHaveLength(4);
  });

  it('answers TOO_MANY_REQUESTS "flow limit" while other sends hold the in-flight bytes, and OK once they finish', async () => {
    const { held, open, restore } = holdNextAppend();
    try {
      const first = client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(1.5 * MIB)] });
      await held;
      const refused = await client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(MIB)] });
      expect(refused.status).toEqual({ code: 'TOO_MANY_REQUESTS', message: 'flow limit' });
      // Small sends still fit beside the held one.
      expect((await client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(1024)] })).status.code).toBe('OK');
      open();
      expect((await first).status.code).toBe('OK');
      expect((await client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(MIB)] })).status.code).toBe('OK');
    } finally {
      open();
      restore();
    }
  });
  it("bounds one connection's share of the in-flight bytes: its next send is refused while another connection's is served", async () => {
    const other = new RawMessagingClient(broker.grpcEndpoint, undefined, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    const { held, open, restore } = holdNextAppend();
    try {
      const first = client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(1.5 * MIB)] });
      await held;
      // 1.5 + 0.4 MiB fits the 2 MiB total but not this connection's 1.75 MiB share.
      const refused = await client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(0.4 * MIB)] });
      expect(refused.status).toEqual({ code: 'TOO_MANY_REQUESTS', message: 'flow limit' });
      expect((await other.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(0.4 * MIB)] })).status.code).toBe('OK');
      open();
      expect((await first).status.code).toBe('OK');
      expect((await client.unary<SendMessageResponse>('SendMessage', { messages: [bulkMessage(0.4 * MIB)] })).status.code).toBe('OK');
    } finally {
      open();
      restore();
      other.close();
    }
  });
});
