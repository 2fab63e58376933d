import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../apps/broker/src/cli/mqadmin';
import { BrokerChild, buildForChildren, ChildBuild, freePort, OfficialClients } from '@app/testkit';
import { expectEachGroupInOrder, ProcessedStep, recordingStepListener } from './support/transaction-test-support';

async function mqadmin(...argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  if (code !== 0) throw new Error(`mqadmin ${argv.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

async function eventually(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Ordered consumption as a user of the broker process reaches it: the broker CLI, a FIFO topic and
 * a FIFO consumer group made with mqadmin only (`updateTopic -a +message.type=FIFO`,
 * `updateSubGroup -o true`), the group's setting surviving a restart, then two official push
 * consumers of the group: each message group is consumed in send order, one message at a time.
 */
describe('a FIFO consumer group made with mqadmin', () => {
  let build: ChildBuild;
  let workDir: string;
  let broker: BrokerChild | undefined;
  let clients: OfficialClients | undefined;

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src']);
    workDir = await mkdtemp(join(tmpdir(), 'fifo-group-'));
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await broker?.stop();
    await build?.remove();
    await rm(workDir, { recursive: true, force: true });
  });

  it('keeps every message group in order across two consumers, after a broker restart', async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const args = ['--store', join(workDir, 'store'), '--port', String(grpcPort), '--http-port', String(httpPort), '--host', '127.0.0.1'];
    const admin = `127.0.0.1:${httpPort}`;
    broker = new BrokerChild(build, args);
    await broker.waitForLine((line) => line.msg === 'broker ready');
    await mqadmin('updateTopic', '-n', admin, '-t', 'order-steps', '-r', '4', '-w', '4', '-a', '+message.type=FIFO');
    expect(await mqadmin('updateSubGroup', '-n', admin, '-g', 'step-runner', '-o', 'true')).toContain('consumeMessageOrderly=true');

    // The group is stored with the broker's configuration: a restart keeps it FIFO.
    await broker.stop();
    broker = new BrokerChild(build, args);
    await broker.waitForLine((line) => line.msg === 'broker ready');
    expect(await mqadmin('getConsumerConfig', '-n', admin, '-g', 'step-runner')).toMatch(/consumeMessageOrderly\s+=\s+true/);

    clients = new OfficialClients(`127.0.0.1:${grpcPort}`);
    const processed: ProcessedStep[] = [];
    const listener = recordingStepListener(processed);
    const first = await clients.pushConsumer({ consumerGroup: 'step-runner', subscriptions: new Map([['order-steps', '*']]), messageListener: listener });
    await clients.pushConsumer({ consumerGroup: 'step-runner', subscriptions: new Map([['order-steps', '*']]), messageListener: listener });
    // The broker tells the clients the group is FIFO (the Settings it answers on telemetry).
    expect(first.getPushConsumerSettings().isFifo()).toBe(true);

    const producer = await clients.producer({ topics: ['order-steps'] });
    const groups = ['order-A', 'order-B', 'order-C', 'order-D'];
    const STEPS = 8;
    for (let step = 0; step < STEPS; step++) {
      for (const group of groups) await producer.send({ topic: 'order-steps', messageGroup: group, body: Buffer.from(String(step)) });
    }
    await eventually(() => processed.length >= groups.length * STEPS, 30_000);
    expectEachGroupInOrder(processed, groups, STEPS);
  }, 90_000);
});
