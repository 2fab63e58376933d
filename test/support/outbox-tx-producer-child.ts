/**
 * Child process for the outbox crash test: the outbox test application (OrderService with
 * @TransactionalMessage) creates one order and stops dead at `<step>` of the half-message flow,
 * printing `at <step> <messageId>` and waiting to be killed (the parent uses SIGKILL).
 *
 * argv: <databaseUrl> <endpoints> <step> <orderId>
 */
import { TransactionalMessageStep } from '@app/outbox';
import { createOutboxTestApp, OrderService } from './outbox-tx-app';
import { quietDefaultLogger } from '@app/testkit';

async function main(): Promise<void> {
  const [databaseUrl, endpoints, crashStep, orderId] = process.argv.slice(2);
  quietDefaultLogger();
  const app = await createOutboxTestApp({
    databaseUrl,
    endpoints,
    outbox: {
      migrationsRun: false,
      // `row-inserted` is a point of the flow only when the claim is a statement of its own.
      claimWithCommit: crashStep !== 'row-inserted',
      hooks: {
        onStep: async (step: TransactionalMessageStep, context) => {
          if (step !== crashStep) return;
          process.stdout.write(`at ${step} ${context.messageId}\n`);
          await new Promise(() => undefined);
        },
      },
    },
  });
  process.stdout.write('ready\n');
  await app.get(OrderService).createOrder(orderId, 'crash');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
