import { ReceiveMessageResponse, TelemetryCommand } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';

/** Stopping the broker drains the gRPC service: long polls answer at once, telemetry streams end with OK. */
describe('gRPC graceful shutdown', () => {
  it('ends a waiting long poll with "no new message" and a telemetry stream with status OK, then stops', async () => {
    const broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 20_000 } });
    const client = new RawMessagingClient(broker.grpcEndpoint);
    try {
      await broker.broker.topics.upsert({ name: 'quiet' });
      const telemetry = client.telemetry();
      const telemetryEnded = new Promise<{ code: number }>((resolve) => telemetry.on('status', resolve));
      telemetry.on('data', () => undefined);
      const settingsAnswered = new Promise<TelemetryCommand>((resolve) => telemetry.once('data', resolve));
      telemetry.write({ settings: { clientType: 'PRODUCER', publishing: { topics: [{ name: 'quiet' }] } } });
      await settingsAnswered;

      const receiving = client.stream<ReceiveMessageResponse>(
        'ReceiveMessage',
        {
          group: { name: 'waiter' },
          messageQueue: { topic: { name: 'quiet' }, id: -1 },
          batchSize: 1,
          invisibleDuration: { seconds: 30 },
          longPollingTimeout: { seconds: 15 },
        },
        { deadlineMs: 20_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));

      const stopStarted = Date.now();
      await broker.stop();
      expect(Date.now() - stopStarted).toBeLessThan(3_000);
      const frames = await receiving;
      expect(frames[0]).toMatchObject({ status: { code: 'MESSAGE_NOT_FOUND' } });
      await expect(telemetryEnded).resolves.toMatchObject({ code: 0 });
    } finally {
      client.close();
      await broker.stop();
    }
  });
});
