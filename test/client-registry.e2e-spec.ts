import { ClientDuplexStream } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { HeartbeatResponse, SendMessageResponse, Settings, TelemetryCommand } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { waitFor } from './support/transaction-test-support';

const TOPIC = 'registry-tx';
const producerSettings: Settings = { clientType: 'PRODUCER', publishing: { topics: [{ name: TOPIC }] } };

/** One raw client with its telemetry stream: the commands it received, and a way to vanish. */
class TelemetryClient {
  readonly raw: RawMessagingClient;
  readonly received: TelemetryCommand[] = [];
  private readonly stream: ClientDuplexStream<TelemetryCommand, TelemetryCommand>;

  constructor(endpoint: string) {
    this.raw = new RawMessagingClient(endpoint);
    this.stream = this.raw.telemetry();
    this.stream.on('data', (command: TelemetryCommand) => this.received.push(command));
    this.stream.on('error', () => undefined);
  }

  /** Sends its Settings and waits for the broker's answer. */
  async sendSettings(settings: Settings = producerSettings): Promise<TelemetryCommand> {
    const before = this.received.length;
    this.stream.write({ settings });
    await waitFor('the settings answer', () => this.received.length > before, 5_000);
    return this.received[before];
  }

  heartbeat(): Promise<HeartbeatResponse> {
    return this.raw.unary<HeartbeatResponse>('Heartbeat', { clientType: 'PRODUCER' });
  }

  /** Drops the stream without NotifyClientTermination, as a killed process does. */
  vanish(): void {
    this.stream.cancel();
    this.raw.close();
  }

  close(): void {
    this.stream.end();
    this.raw.close();
  }
}

/**
 * The client registry over gRPC (issue 18): producers that vanished without
 * NotifyClientTermination must neither fill the registry for good (a new producer would get
 * UNRECOGNIZED_CLIENT_TYPE and never be asked about orphaned half messages) nor be remembered past
 * channelExpiredTimeout.
 */
describe('client registry', () => {
  const clients: TelemetryClient[] = [];
  const client = (broker: TestBroker): TelemetryClient => {
    const created = new TelemetryClient(broker.grpcEndpoint);
    clients.push(created);
    return created;
  };
  afterEach(() => clients.splice(0).forEach((c) => c.close()));

  const connectedOf = (broker: TestBroker): number => broker.broker.messaging.sessions.list().filter((c) => c.connected).length;

  describe('at its cap', () => {
    let broker: TestBroker;

    beforeAll(async () => {
      broker = await startTestBroker(
        { transactionTimeoutMs: 300, transactionCheckIntervalMs: 300 },
        { sessions: { maxClients: 3 }, transaction: { checkScanIntervalMs: 100 } },
      );
      await broker.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    });

    afterAll(async () => broker?.stop());

    it('makes room for a new producer, which heartbeats and is asked about an orphaned half message', async () => {
      for (let n = 0; n < 3; n++) {
        const vanishing = client(broker);
        expect((await vanishing.sendSettings()).status?.code).toBe('OK');
        vanishing.vanish();
      }
      await waitFor('the vanished producers to be detached', () => connectedOf(broker) === 0, 5_000);
      expect(broker.broker.messaging.sessions.list()).toHaveLength(3);

      const producer = client(broker);
      expect((await producer.sendSettings()).status?.code).toBe('OK');
      expect((await producer.heartbeat()).status.code).toBe('OK');

      const sender = new RawMessagingClient(broker.grpcEndpoint);
      try {
        const messageId = randomUUID();
        const sent = await sender.unary<SendMessageResponse>('SendMessage', {
          messages: [
            {
              topic: { name: TOPIC },
              body: Buffer.from('orphan'),
              systemProperties: { messageId, queueId: 0, messageType: 'TRANSACTION', bodyEncoding: 'IDENTITY' },
            },
          ],
        });
        expect(sent.status.code).toBe('OK');
        const transactionId = sent.entries![0].transactionId;
        await waitFor('the check-back', () => producer.received.some((c) => c.recoverOrphanedTransactionCommand?.transactionId === transactionId), 10_000);
      } finally {
        sender.close();
      }
      expect(broker.broker.messaging.sessions.stats()).toMatchObject({ trackedClients: 3, connectedClients: 1, evictedTotal: 1, refusedTotal: 0 });
    });

    it('refuses a new client with TOO_MANY_REQUESTS only when every tracked client is connected', async () => {
      // The first test's producer closed its stream; these three take every place.
      await waitFor('the first producer to be detached', () => connectedOf(broker) === 0, 5_000);
      for (let n = 0; n < 3; n++) expect((await client(broker).sendSettings()).status?.code).toBe('OK');
      expect(connectedOf(broker)).toBe(3);

      const refused = await client(broker).sendSettings();
      expect(refused.settings).toBeUndefined();
      expect(refused.status).toEqual({ code: 'TOO_MANY_REQUESTS', message: 'the broker tracks at most 3 clients and all of them are connected; retry later' });
      expect(broker.broker.messaging.sessions.stats().refusedTotal).toBe(1);
    });
  });

  describe('expiry', () => {
    let broker: TestBroker;

    beforeAll(async () => {
      broker = await startTestBroker({ channelExpiredTimeoutMs: 300 }, { sessions: { expirySweepIntervalMs: 50 } });
      await broker.broker.topics.upsert({ name: TOPIC, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    });

    afterAll(async () => broker?.stop());

    it('forgets a client without a stream after channelExpiredTimeout, never one whose stream is open', async () => {
      const live = client(broker);
      await live.sendSettings();
      const vanishing = client(broker);
      await vanishing.sendSettings();
      const vanishedId = vanishing.raw.clientId;
      vanishing.vanish();

      await waitFor('the vanished client to expire', () => !broker.broker.messaging.sessions.list().some((c) => c.clientId === vanishedId), 5_000);
      const returning = new RawMessagingClient(broker.grpcEndpoint, vanishedId);
      try {
        const heartbeat = await returning.unary<HeartbeatResponse>('Heartbeat', { clientType: 'PRODUCER' });
        expect(heartbeat.status).toEqual({ code: 'UNRECOGNIZED_CLIENT_TYPE', message: 'cannot find client settings for this client' });
      } finally {
        returning.close();
      }
      expect(broker.broker.messaging.sessions.list()).toEqual([expect.objectContaining({ clientId: live.raw.clientId, connected: true })]);
      expect((await live.heartbeat()).status.code).toBe('OK');
    });
  });
});
