import { status as GrpcStatus } from '@grpc/grpc-js';
import { ClientDuplexStream } from '@grpc/grpc-js';
import { HeartbeatResponse, QueryAssignmentResponse, QueryRouteResponse, Settings, TelemetryCommand } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/**
 * QueryRoute, QueryAssignment, Telemetry settings, Heartbeat and NotifyClientTermination over raw
 * gRPC: the broker answering as its own name server, and the settings it imposes on clients.
 */
describe('gRPC route, assignment and telemetry', () => {
  let broker: TestBroker;
  let client: RawMessagingClient;

  beforeAll(async () => {
    broker = await startTestBroker({ maxMessageSizeBytes: 1024 * 1024 });
    client = new RawMessagingClient(broker.grpcEndpoint);
    const topics = broker.broker.topics;
    await topics.upsert({ name: 'orders', readQueueNums: 8, writeQueueNums: 8 });
    await topics.upsert({ name: 'read-only', perm: 4, readQueueNums: 2, writeQueueNums: 2 });
    await topics.upsert({ name: 'more-read-queues', readQueueNums: 4, writeQueueNums: 2 });
    await topics.upsert({ name: 'fifo-orders', messageType: 'FIFO', readQueueNums: 3, writeQueueNums: 3 });
    await topics.upsertGroup({ group: 'fifo-group', fifo: true, maxDeliveryAttempts: 5 });
  });

  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  describe('QueryRoute', () => {
    it('lists one read-write queue per queue id, pointing at this broker', async () => {
      const response = await client.unary<QueryRouteResponse>('QueryRoute', {
        topic: { name: 'orders' },
        endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: broker.grpcPort }] },
      });
      expect(response.status).toEqual({ code: 'OK', message: 'OK' });
      expect(response.messageQueues).toHaveLength(8);
      expect(response.messageQueues!.map((queue) => queue.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const first = response.messageQueues![0];
      expect(first.permission).toBe('READ_WRITE');
      expect(first.acceptMessageTypes).toEqual(['NORMAL']);
      expect(first.broker).toEqual({ name: 'broker-a', id: 0, endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: broker.grpcPort }] } });
    });

    it('maps perm and unequal queue counts onto per-queue permissions and types', async () => {
      const readOnly = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'read-only' } });
      expect(readOnly.messageQueues!.map((queue) => queue.permission)).toEqual(['READ', 'READ']);
      const uneven = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'more-read-queues' } });
      expect(uneven.messageQueues!.map((queue) => [queue.id, queue.permission])).toEqual([
        [0, 'READ_WRITE'],
        [1, 'READ_WRITE'],
        [2, 'READ'],
        [3, 'READ'],
      ]);
      const fifo = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'fifo-orders' } });
      expect(fifo.messageQueues![0].acceptMessageTypes).toEqual(['FIFO']);
    });

    it('answers TOPIC_NOT_FOUND with the name server text for an unknown topic', async () => {
      const response = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'no-such-topic' } });
      expect(response.status).toEqual({ code: 'TOPIC_NOT_FOUND', message: 'No topic route info in name server for the topic: no-such-topic' });
      expect(response.messageQueues ?? []).toEqual([]);
    });

    it('refuses illegal, system and missing topics with 400-class codes', async () => {
      const illegal = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'bad topic!' } });
      expect(illegal.status.code).toBe('ILLEGAL_TOPIC');
      const system = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'SCHEDULE_TOPIC_XXXX' } });
      expect(system.status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'cannot access system topic' });
      const missing = await client.unary<QueryRouteResponse>('QueryRoute', {});
      expect(missing.status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'The specified topic is blank' });
    });

    it('refuses a call without x-mq-client-id', async () => {
      const response = await client.unary<QueryRouteResponse>('QueryRoute', { topic: { name: 'orders' } }, { clientId: null });
      expect(response.status).toEqual({ code: 'CLIENT_ID_REQUIRED', message: 'client id cannot be empty' });
    });
  });

  describe('QueryAssignment', () => {
    it('gives a normal group one assignment for any queue (id -1)', async () => {
      const response = await client.unary<QueryAssignmentResponse>('QueryAssignment', { topic: { name: 'orders' }, group: { name: 'normal-group' } });
      expect(response.status.code).toBe('OK');
      expect(response.assignments!.map((a) => a.messageQueue.id)).toEqual([-1]);
      expect(response.assignments![0].messageQueue.broker!.endpoints!.addresses).toEqual([{ host: '127.0.0.1', port: broker.grpcPort }]);
    });

    it('gives a FIFO group every readable queue', async () => {
      const response = await client.unary<QueryAssignmentResponse>('QueryAssignment', { topic: { name: 'fifo-orders' }, group: { name: 'fifo-group' } });
      expect(response.assignments!.map((a) => a.messageQueue.id)).toEqual([0, 1, 2]);
    });

    it('answers TOPIC_NOT_FOUND, ILLEGAL_CONSUMER_GROUP and FORBIDDEN as the proxy does', async () => {
      const unknown = await client.unary<QueryAssignmentResponse>('QueryAssignment', { topic: { name: 'nope' }, group: { name: 'g' } });
      expect(unknown.status.code).toBe('TOPIC_NOT_FOUND');
      const badGroup = await client.unary<QueryAssignmentResponse>('QueryAssignment', { topic: { name: 'orders' }, group: { name: 'CID_RMQ_SYS_x' } });
      expect(badGroup.status).toEqual({ code: 'ILLEGAL_CONSUMER_GROUP', message: 'cannot use system consumer group' });
      await broker.broker.topics.upsert({ name: 'write-only', perm: 2 });
      const writeOnly = await client.unary<QueryAssignmentResponse>('QueryAssignment', { topic: { name: 'write-only' }, group: { name: 'g' } });
      expect(writeOnly.status).toEqual({ code: 'FORBIDDEN', message: 'no readable queue' });
    });
  });

  describe('Telemetry, Heartbeat, NotifyClientTermination', () => {
    const streams: Array<ClientDuplexStream<TelemetryCommand, TelemetryCommand>> = [];
    afterAll(() => streams.forEach((stream) => stream.end()));

    function openTelemetry(raw: RawMessagingClient): { next: () => Promise<TelemetryCommand>; send: (c: TelemetryCommand) => void } {
      const stream = raw.telemetry();
      streams.push(stream);
      const received: TelemetryCommand[] = [];
      const waiting: Array<(command: TelemetryCommand) => void> = [];
      stream.on('data', (command: TelemetryCommand) => {
        const waiter = waiting.shift();
        if (waiter) waiter(command);
        else received.push(command);
      });
      stream.on('error', () => undefined);
      return {
        next: () => (received.length > 0 ? Promise.resolve(received.shift()!) : new Promise((resolve) => waiting.push(resolve))),
        send: (command) => stream.write(command),
      };
    }

    it('answers a producer with the retry policy, max body size and type validation', async () => {
      const producer = new RawMessagingClient(broker.grpcEndpoint);
      try {
        const telemetry = openTelemetry(producer);
        telemetry.send({ settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: 'orders' }] }, requestTimeout: { seconds: 3 } } });
        const answer = await telemetry.next();
        expect(answer.status).toEqual({ code: 'OK', message: 'OK' });
        const settings = answer.settings as Settings;
        expect(settings.publishing).toMatchObject({ maxBodySize: 1024 * 1024, validateMessageType: true, topics: [{ name: 'orders' }] });
        expect(settings.backoffPolicy).toEqual({
          maxAttempts: 3,
          exponentialBackoff: { initial: { seconds: 0, nanos: 10_000_000 }, max: { seconds: 1, nanos: 0 }, multiplier: 2 },
          strategy: 'exponentialBackoff',
        });
        expect(broker.broker.messaging.sessions.list()).toContainEqual(
          expect.objectContaining({ clientId: producer.clientId, role: 'PRODUCER', topics: ['orders'], connected: true }),
        );
        const heartbeat = await producer.unary<HeartbeatResponse>('Heartbeat', { clientType: 'PRODUCER' });
        expect(heartbeat.status.code).toBe('OK');
        const terminated = await producer.unary<HeartbeatResponse>('NotifyClientTermination', {});
        expect(terminated.status.code).toBe('OK');
        const after = await producer.unary<HeartbeatResponse>('Heartbeat', { clientType: 'PRODUCER' });
        expect(after.status).toEqual({ code: 'UNRECOGNIZED_CLIENT_TYPE', message: 'cannot find client settings for this client' });
      } finally {
        producer.close();
      }
    });

    it("answers a consumer with its group's FIFO flag, max attempts and RocketMQ's retry ladder", async () => {
      const consumer = new RawMessagingClient(broker.grpcEndpoint);
      try {
        const telemetry = openTelemetry(consumer);
        telemetry.send({
          settings: {
            clientType: 'PUSH_CONSUMER',
            subscription: {
              group: { name: 'fifo-group' },
              subscriptions: [{ topic: { name: 'fifo-orders' }, expression: { type: 'TAG', expression: 'a||b' } }],
            },
          },
        });
        const answer = await telemetry.next();
        expect(answer.status!.code).toBe('OK');
        const settings = answer.settings as Settings;
        expect(settings.subscription).toMatchObject({ fifo: true, receiveBatchSize: 32, longPollingTimeout: { seconds: 20 } });
        const backoff = settings.backoffPolicy!;
        expect(backoff.maxAttempts).toBe(5);
        const ladder = backoff.customizedBackoff!.next.map((d) => d.seconds);
        expect(ladder).toEqual([10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200]);
      } finally {
        consumer.close();
      }
    });

    it('answers refused settings with a status-only command and keeps the stream open', async () => {
      const consumer = new RawMessagingClient(broker.grpcEndpoint);
      try {
        const telemetry = openTelemetry(consumer);
        telemetry.send({
          settings: {
            clientType: 'SIMPLE_CONSUMER',
            subscription: { group: { name: 'g1' }, subscriptions: [{ topic: { name: 'orders' }, expression: { type: 'TAG', expression: '||' } }] },
          },
        });
        const refused = await telemetry.next();
        expect(refused.status!.code).toBe('ILLEGAL_FILTER_EXPRESSION');
        expect(refused.settings).toBeUndefined();
        telemetry.send({ settings: { clientType: 'PRODUCER' } });
        expect((await telemetry.next()).status).toEqual({ code: 'BAD_REQUEST', message: 'there is no publishing or subscription data in settings' });
        telemetry.send({ settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: 'rmq_sys_x' }] } } });
        expect((await telemetry.next()).status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'cannot access system topic' });
        telemetry.send({ settings: { clientType: 'PRODUCER', publishing: {} } });
        expect((await telemetry.next()).status!.code).toBe('OK');
      } finally {
        consumer.close();
      }
    });

    it('refuses a heartbeat before any settings', async () => {
      const response = await client.unary<HeartbeatResponse>('Heartbeat', { clientType: 'PRODUCER' });
      expect(response.status.code).toBe('UNRECOGNIZED_CLIENT_TYPE');
    });
  });

  it('answers the RPCs it does not serve with gRPC UNIMPLEMENTED', async () => {
    // Lite topics (SyncLiteSubscription) are not served; RecallMessage is (rocketmq-client-producer.e2e-spec.ts).
    await expect(client.unary('SyncLiteSubscription', {})).rejects.toMatchObject({ code: GrpcStatus.UNIMPLEMENTED });
  });
});
