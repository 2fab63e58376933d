/**
 * Child process for the transaction crash tests: an official-client producer that begins a
 * transaction, sends its half message and then never ends it, as an application that crashed
 * between the send and EndTransaction. It prints `sent <messageId> <transactionId>` once the
 * broker acknowledged the half message and then waits to be killed (the parent uses SIGKILL).
 * Its checker never decides, so a check-back that reaches it resolves nothing.
 *
 * argv: <endpoint> <topic> <body> [<key>]
 */
import { Producer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { quietDefaultLogger, testClientLogger } from '@app/testkit';

async function main(): Promise<void> {
  const [endpoints, topic, body, key] = process.argv.slice(2);
  quietDefaultLogger();
  const producer = new Producer({
    endpoints,
    namespace: '',
    sslEnabled: false,
    logger: testClientLogger,
    topics: [topic],
    checker: { check: async () => TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED },
  });
  await producer.startup();
  const transaction = producer.beginTransaction();
  const receipt = await producer.send({ topic, body: Buffer.from(body), keys: key ? [key] : [], tag: 'crashed' }, transaction);
  process.stdout.write(`sent ${receipt.messageId} ${receipt.transactionId}\n`);
  // Stay alive, connected, with the transaction open, until killed.
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
