import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CallbackProxy } from './callback-proxy';
import { captureConsole } from './console-screenshots';
import { DemoStack, freeStackPorts } from './demo-stack';
import { waitForInterrupt } from './interrupt';
import { DemoToolchain } from './demo-toolchain';
import { DEMO_DEFAULTS } from './demo.defaults';
import { formatFinalTables } from './report-table';
import { runStory } from './story';
import { Timeline } from './timeline';
import { formatVerdict, verifyStack } from './verify';

export interface DemoCommandOptions {
  once: boolean;
  /** An existing PostgreSQL server's admin URL instead of embedded PostgreSQL. */
  databaseUrl?: string;
  /** Logs and the broker store; wiped at start. */
  dataDir: string;
  /** Free loopback ports instead of DEMO_DEFAULTS.ports (a test beside someone's demo). */
  freePorts?: boolean;
  /** Authentication and authorization on the broker, a user and ACL per service (DemoStackOptions.acl). */
  acl?: boolean;
  /** A directory to save console screenshots in after the story (console-screenshots.ts). */
  screenshots?: string;
}

/**
 * `npm run demo [-- --once]`: starts everything, tells the story, prints the tables and the
 * invariants; then either exits (0 iff every invariant holds) or keeps running until Ctrl-C.
 */
export async function runDemo(options: DemoCommandOptions): Promise<number> {
  const timeline = new Timeline();
  const workDir = resolve(options.dataDir);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  timeline.heading(`Starting (logs in ${join(workDir, 'logs')})`);
  const toolchain = await DemoToolchain.prepare(timeline, options.databaseUrl);
  const ports = options.freePorts ? await freeStackPorts() : DEMO_DEFAULTS.ports;
  const proxy = new CallbackProxy(`http://${DEMO_DEFAULTS.host}:${ports.orderService}/callbacks/payment`, 2, (id, attempt, verdict, status) =>
    timeline.add('receiver', `notification ${id.slice(0, 12)} attempt ${attempt}: ${verdict === 'refused' ? 'failing on purpose' : 'forwarded'} -> ${status}`),
  );
  let stack: DemoStack | undefined;
  try {
    const merchantCallbackUrl = await proxy.start();
    stack = await DemoStack.start({
      build: toolchain.build,
      postgres: toolchain.postgres,
      timeline,
      label: 'story',
      workDir,
      ports,
      merchantCallbackUrl,
      acl: options.acl,
    });
    await runStory(stack, proxy, timeline);
    timeline.heading('Checking the invariants (waiting for the system to settle)');
    const verdict = await verifyStack(stack, DEMO_DEFAULTS.settleTimeoutMs);
    timeline.write(`\n${formatFinalTables(verdict.snapshot)}`);
    timeline.write(`Invariants (settled after ${(verdict.waitedMs / 1000).toFixed(1)} s):\n${formatVerdict(verdict)}`);
    timeline.write(verdict.ok ? '\nEvery invariant holds.' : '\nSOME INVARIANTS DO NOT HOLD.');
    if (options.screenshots) await captureConsole(stack, options.screenshots, timeline);
    if (!options.once) await keepRunningUntilSignal(stack, timeline);
    return verdict.ok ? 0 : 1;
  } finally {
    timeline.heading('Stopping');
    await stack?.stop();
    await proxy.stop();
    await toolchain.close();
    timeline.add('runner', 'everything stopped');
  }
}

async function keepRunningUntilSignal(stack: DemoStack, timeline: Timeline): Promise<void> {
  timeline.write(
    [
      '\nRunning. Try it yourself:',
      `  order-service     ${stack.urls.orderService}  (GET /orders, POST /orders {"buyerId":"alice","amount":1500})`,
      `  pay-service       ${stack.urls.payService}  (POST /payments {"orderId":"..."}, GET /accounts, GET /payments)`,
      `  broker console    ${stack.urls.brokerAdmin}/console  (topics, groups, messages, transactions, dead letters, timelines)`,
      `  broker admin API  ${stack.urls.brokerAdmin}  (GET /topics, GET /transactions, GET /groups, GET /metrics)`,
      `  broker gRPC       ${stack.urls.brokerGrpc}`,
      'Notifications still go through the failing receiver (2 refusals each). Ctrl-C stops everything.',
    ].join('\n'),
  );
  await waitForInterrupt();
}
