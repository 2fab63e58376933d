/**
 * Child process for test/mq-broker-gone.e2e-spec.ts: a Nest application with MqProducer,
 * MqTransactionProducer and an @MqConsumer, against an in-process broker. It consumes one message,
 * stops the broker, closes the application and prints `closed`. The process must then exit by
 * itself: a client that keeps reconnecting to the dead broker keeps it alive forever.
 */
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MqConsumer, MqMessage, MqModule, MqProducer, MqTransactionProducer } from '@app/mq';
import { startTestBroker } from './broker-harness';
import { quietDefaultLogger } from '@app/testkit';

let consumed: (() => void) | undefined;

@Injectable()
class Handler {
  @MqConsumer({ topic: 'gone-events', group: 'gone-group' })
  onEvent(message: MqMessage): void {
    if (message.payload) consumed?.();
  }
}

async function main(): Promise<void> {
  quietDefaultLogger();
  const broker = await startTestBroker({}, { messaging: { minLongPollingTimeoutMs: 100, maxLongPollingTimeoutMs: 1_000 } });
  await broker.broker.topics.upsert({ name: 'gone-events', readQueueNums: 1, writeQueueNums: 1 });
  await broker.broker.topics.upsert({ name: 'gone-tx', messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
  const moduleRef = await Test.createTestingModule({
    imports: [MqModule.forRoot({ endpoints: broker.grpcEndpoint, logger: false, consumers: { longPollingTimeoutMs: 500 } })],
    providers: [Handler],
  }).compile();
  const app = await moduleRef.init();
  const received = new Promise<void>((resolve) => (consumed = resolve));
  await app.get(MqProducer).send('gone-events', { n: 1 });
  await (await app.get(MqTransactionProducer).sendHalf('gone-tx', { n: 2 })).commit();
  await received;
  await broker.stop();
  await app.close();
  process.stdout.write('closed\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
