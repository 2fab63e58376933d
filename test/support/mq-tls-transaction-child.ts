/**
 * Child process for test/broker-tls.e2e-spec.ts: MqTransactionProducer with `tls: true` against
 * a broker on TLS, with grpc-js's roots given by GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (grpc-js reads it
 * once, when it loads: hence a process of its own). Sends a half message on the node:http2 wire,
 * commits it, receives it with the official SimpleConsumer, and prints one JSON line:
 * `{"msg":"done","sent":<id>,"received":[{id,body}]}` or `{"msg":"failed","error":...}`.
 *
 * argv: <endpoint> <topic>
 */
import { Test } from '@nestjs/testing';
import { MqModule, MqTransactionProducer } from '@app/mq';
import { OfficialClients } from '@app/testkit';
import { receiveAndAck } from './transaction-test-support';

async function main(): Promise<void> {
  const [endpoint, topic] = process.argv.slice(2);
  const app = await Test.createTestingModule({ imports: [MqModule.forRoot({ endpoints: endpoint, tls: true, logger: false })] }).compile();
  await app.init();
  const clients = new OfficialClients(endpoint);
  try {
    const half = await app.get(MqTransactionProducer).sendHalf(topic, { orderId: 'over tls' });
    await half.commit();
    const consumer = await clients.simpleConsumer({
      consumerGroup: 'tls-tx-group',
      subscriptions: new Map([[topic, '*']]),
      awaitDuration: 5_000,
      sslEnabled: true,
    });
    const received = await receiveAndAck(consumer, 1, 20_000);
    process.stdout.write(
      `${JSON.stringify({ msg: 'done', sent: half.messageId, received: received.map((view) => ({ id: view.messageId, body: view.body.toString() })) })}\n`,
    );
  } finally {
    await clients.shutdownAll();
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ msg: 'failed', error: String((error as Error).stack ?? error) })}\n`);
    process.exit(1);
  },
);
