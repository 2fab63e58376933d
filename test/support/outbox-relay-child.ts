/**
 * Child process for test/outbox-relay-crash.e2e-spec.ts: an outbox-mode application whose relay
 * claims rows (a lease of `<leaseMs>`) but holds every send for 2 s (MqProducer batching with
 * lingerMs 2000), so the parent can SIGKILL it while it holds leased, unsent rows. Prints `ready`.
 *
 * argv: <databaseUrl> <endpoints> <leaseMs>
 */
import { createRelayTestApp } from './outbox-relay-app';
import { quietDefaultLogger } from '@app/testkit';

async function main(): Promise<void> {
  const [databaseUrl, endpoints, leaseMs] = process.argv.slice(2);
  quietDefaultLogger();
  await createRelayTestApp({
    databaseUrl,
    endpoints,
    outbox: { relay: { pollIntervalMs: 100, batchSize: 64, leaseMs: Number(leaseMs) } },
    mq: { producer: { lingerMs: 2_000 } },
  });
  process.stdout.write('ready\n');
  await new Promise(() => undefined);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
