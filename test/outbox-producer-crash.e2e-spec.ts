import { ChildProcess, spawn } from 'node:child_process';
import { INestApplicationContext } from '@nestjs/common';
import { TransactionalMessageStep } from '@app/outbox';
import { TestBroker } from './support/broker-harness';
import { createOutboxTestApp } from './support/outbox-tx-app';
import { databaseState, orderReader, pendingHalfMessages, startOutboxBroker } from './support/outbox-tx-test-kit';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { receiveAndAck, waitFor } from './support/transaction-test-support';
import { buildForChildren, ChildBuild, OfficialClients } from '@app/testkit';

/** Children started at once: each boots Nest, TypeORM and a producer (~1 s), so they overlap. */
const PARALLEL = 5;

/**
 * The broker as it is, then as Apache RocketMQ's broker (transactionExtensionsEnabled=false:
 * repeated resolutions applied again, every check-back counted), which shows libs/outbox needs
 * neither extension. That run kills one batch of PARALLEL children per step, to keep `npm test`
 * short. There a committed message may come twice (two overlapping check-back answers both
 * commit, as on Apache), so its check is on the set of keys: consumers are idempotent for that.
 */
const MODES = [
  ['on this broker', { broker: {}, rounds: 10, duplicatesPossible: false }],
  ['as on Apache RocketMQ', { broker: { transactionExtensionsEnabled: false }, rounds: PARALLEL, duplicatesPossible: true }],
] as const;

/**
 * A producer process (the outbox test application in a child) is SIGKILLed at each step of the
 * half-message flow, `mode.rounds` times per step. This process runs the same application, so it
 * is the other instance the broker checks back: afterwards every message is delivered iff its
 * order row committed, whatever the step.
 */
describe.each(MODES)('outbox: producer killed at each step of the half-message flow, %s', (_name, mode) => {
  let build: ChildBuild;
  let database: TestDatabase;
  let broker: TestBroker;
  let clients: OfficialClients;
  let survivor: INestApplicationContext;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    [build, database, broker] = await Promise.all([
      buildForChildren(['test/support', 'libs/mq/src', 'libs/outbox/src']),
      createTestDatabase(),
      startOutboxBroker(mode.broker),
    ]);
    clients = new OfficialClients(broker.grpcEndpoint);
    // Migrates the schema and answers the check-backs of the killed producers.
    survivor = await createOutboxTestApp({ databaseUrl: database.url, endpoints: broker.grpcEndpoint });
  });

  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
  });

  afterAll(async () => {
    await clients?.shutdownAll();
    await survivor?.close();
    await broker?.stop();
    await database?.drop();
    await build?.remove();
  });

  /** Runs one child until it reports reaching `step`, then SIGKILLs it; returns the half message's id. */
  async function crashAt(step: TransactionalMessageStep, orderId: string): Promise<string> {
    const child = spawn(process.execPath, [build.script('test/support/outbox-tx-producer-child.ts'), database.url, broker.grpcEndpoint, step, orderId], {
      env: build.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const messageId = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^at (\S+) (\S+)$/m.exec(stdout);
        if (match) resolve(match[2]);
      });
      child.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before ${step}: ${stderr}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return messageId;
  }

  it.each([
    ['half-sent', false],
    ['row-inserted', false],
    ['local-committed', true],
  ] as const)(
    `killed at %s, ${mode.rounds} times: delivered iff the order committed (%s)`,
    async (step, committed) => {
      const reader = await orderReader(clients, `crash-reader-${step}`);
      const orderIds = Array.from({ length: mode.rounds }, (_, i) => `o-${step}-${i}`);
      const messageIds: string[] = [];
      for (let i = 0; i < orderIds.length; i += PARALLEL) {
        messageIds.push(...(await Promise.all(orderIds.slice(i, i + PARALLEL).map((orderId) => crashAt(step, orderId)))));
      }
      await waitFor('every orphaned half message to be checked back', () => messageIds.every((id) => !pendingHalfMessages(broker).includes(id)), 20_000);

      const state = await databaseState(survivor);
      const committedOrders = orderIds.filter((id) => state.orders.includes(id));
      expect(committedOrders).toHaveLength(committed ? mode.rounds : 0);
      for (const messageId of messageIds) expect(state.decisions.get(messageId)).toBe(committed ? 'committed' : 'rolled_back');
      const received = await receiveAndAck(reader, committedOrders.length, 10_000, 1_000);
      const keys = received.map((m) => m.keys[0]);
      expect((mode.duplicatesPossible ? [...new Set(keys)] : keys).sort()).toEqual(committedOrders.sort());
      await clients.shutdown(reader);
    },
    60_000,
  );
});
