/**
 * Child process for the worker-crash test: a NotificationModule worker polling every 50 ms with a
 * 2 s claim, allowed to reach 127.0.0.1. Prints `ready` once started; the parent SIGKILLs it
 * while its POST is in flight.
 *
 * argv: <databaseUrl>
 */
import { createNotificationTestApp } from './notification-harness';

async function main(): Promise<void> {
  const [databaseUrl] = process.argv.slice(2);
  await createNotificationTestApp(databaseUrl, { workerEnabled: true, pollIntervalMs: 50, claimTtlMs: 2_000, timeoutMs: 1_500 });
  process.stdout.write('ready\n');
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
