import { randomUUID } from 'node:crypto';
import { SendMessageResponse } from '../apps/broker/src/grpc/messaging.types';
import { run } from '../apps/broker/src/cli/mqadmin';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { TransactionListResponse } from '@app/admin-client';

/** Runs the CLI in-process; resolves its exit code and what it printed. */
async function mqadmin(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

/**
 * What an operator sees and does about transactions: `GET /transactions`, commit and rollback by
 * transaction id, half-message counts in the topic status, `GET /metrics`, and the mqadmin
 * commands over them. Half messages are sent over raw gRPC with no producer connected, so no
 * check-back resolves anything behind the test's back.
 */
describe('transactions: admin API, metrics and mqadmin', () => {
  let broker: TestBroker;
  let raw: RawMessagingClient;
  let admin: string;
  const url = (path: string): string => `http://${admin}${path}`;

  beforeAll(async () => {
    broker = await startTestBroker({ transactionTimeoutMs: 600_000 });
    admin = `127.0.0.1:${broker.httpPort}`;
    for (const name of ['tx-admin', 'tx-cli']) await broker.broker.topics.upsert({ name, messageType: 'TRANSACTION', readQueueNums: 1, writeQueueNums: 1 });
    raw = new RawMessagingClient(broker.grpcEndpoint);
  });

  afterAll(async () => {
    raw?.close();
    await broker?.stop();
  });

  async function sendHalf(topic: string, messageId = randomUUID()): Promise<{ messageId: string; transactionId: string }> {
    const response = await raw.unary<SendMessageResponse>('SendMessage', {
      messages: [{ topic: { name: topic }, body: Buffer.from(`half ${messageId}`), systemProperties: { messageId, queueId: 0, messageType: 'TRANSACTION' } }],
    });
    expect(response.status.code).toBe('OK');
    return { messageId, transactionId: response.entries![0].transactionId! };
  }

  const post = (path: string, body?: object): Promise<Response> =>
    fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const delivered = async (topic: string): Promise<string[]> => (await broker.broker.store.readQueue(topic, 0, 0, 100)).map((m) => m.messageId);

  it('lists unresolved half messages with age, check count and state; the topic status counts them', async () => {
    const a = await sendHalf('tx-admin');
    const b = await sendHalf('tx-admin');
    const list = (await (await fetch(url('/transactions?topic=tx-admin'))).json()) as TransactionListResponse;
    expect(list.total).toBe(2);
    expect(list.counts).toEqual({ pending: 2, checkMax: 0 });
    expect(list.transactions.map((t) => t.transactionId)).toEqual([a.transactionId, b.transactionId]);
    expect(list.transactions[0]).toMatchObject({
      messageId: a.messageId,
      topic: 'tx-admin',
      queueId: 0,
      state: 'pending',
      checkCount: 0,
      producerGroup: 'tx-admin',
    });
    expect(list.transactions[0].ageMs).toBeGreaterThanOrEqual(0);
    expect(list.transactions[0].nextCheckAtMs).toBeGreaterThan(Date.now());

    const status = await (await fetch(url('/topics/tx-admin'))).json();
    expect(status).toMatchObject({ totalMessages: 0, halfMessages: { pending: 2, checkMax: 0 } });
    expect(((await (await fetch(url('/transactions?state=check-max'))).json()) as TransactionListResponse).total).toBe(0);
    expect(((await (await fetch(url('/transactions?max=1'))).json()) as TransactionListResponse).transactions).toHaveLength(1);
    expect((await fetch(url('/transactions?state=committed'))).status).toBe(400);

    for (const t of [a, b]) expect((await post(`/transactions/${t.transactionId}/rollback`)).status).toBe(200);
  });

  it('commits and rolls back by transaction id; a repeat is a duplicate, the opposite a 409, an unknown id a 404', async () => {
    const half = await sendHalf('tx-admin');
    const committed = await post(`/transactions/${half.transactionId}/commit`);
    expect(committed.status).toBe(200);
    expect(await committed.json()).toEqual({
      transactionId: half.transactionId,
      messageId: half.messageId,
      topic: 'tx-admin',
      resolution: 'COMMIT',
      duplicate: false,
    });
    expect(await delivered('tx-admin')).toEqual([half.messageId]);

    // No longer listed: name the half message to ask again.
    expect((await post(`/transactions/${half.transactionId}/commit`)).status).toBe(404);
    const again = await post(`/transactions/${half.transactionId}/commit`, { topic: 'tx-admin', messageId: half.messageId });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const opposite = await post(`/transactions/${half.transactionId}/rollback`, { topic: 'tx-admin', messageId: half.messageId });
    expect(opposite.status).toBe(409);
    expect(((await opposite.json()) as { message: string }).message).toContain('committed');
    expect(await delivered('tx-admin')).toEqual([half.messageId]);

    expect((await post('/transactions/no-such-transaction/commit')).status).toBe(404);
    expect((await post('/transactions/no-such-transaction/commit', { topic: 'tx-admin', messageId: 'm' })).status).toBe(404);
    expect((await post(`/transactions/${half.transactionId}/commit`, { topic: 7 })).status).toBe(400);
  });

  it('serves the transaction metrics as Prometheus text on /metrics', async () => {
    const response = await fetch(url('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^# TYPE rocketmq_broker_half_messages_pending gauge$/m);
    // The cases above: two admin rollbacks, one admin commit (its repeat is a duplicate, not counted).
    expect(text).toMatch(/^rocketmq_broker_half_messages_pending 0$/m);
    expect(text).toMatch(/^rocketmq_broker_transactions_committed_total\{source="admin"\} 1$/m);
    expect(text).toMatch(/^rocketmq_broker_transactions_rolled_back_total\{source="admin"\} 2$/m);
    expect(text).toMatch(/^rocketmq_broker_transaction_checks_sent_total 0$/m);
  });

  describe('mqadmin', () => {
    it('listHalfMessages prints the unresolved half messages; commitTransaction and rollbackTransaction resolve them', async () => {
      const toCommit = await sendHalf('tx-cli');
      const toRollBack = await sendHalf('tx-cli');

      const listed = await mqadmin('listHalfMessages', '-n', admin, '-t', 'tx-cli');
      expect(listed.code).toBe(0);
      const lines = listed.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^#Transaction ID\s+#Message ID\s+#Topic\s+#State\s+#Age\s+#Checks\s+#Next Check In\s+#Born Time$/);
      expect(lines[1]).toMatch(new RegExp(`^${toCommit.transactionId}\\s+${toCommit.messageId}\\s+tx-cli\\s+pending\\s+\\d+\\.\\ds\\s+0\\s+`));
      expect(lines[2]).toContain(toRollBack.transactionId);
      expect(listed.stdout).toContain('Half Messages: 2; broker total 2 pending, 0 check-max');

      const status = await mqadmin('topicStatus', '-n', admin, '-t', 'tx-cli');
      expect(status.stdout).toContain('Half Messages: 2 pending, 0 check-max');

      const commit = await mqadmin('commitTransaction', '-n', admin, '-i', toCommit.transactionId);
      expect(commit).toMatchObject({ code: 0, stderr: '' });
      expect(commit.stdout).toBe(`transaction [${toCommit.transactionId}] of message [${toCommit.messageId}] on topic [tx-cli] committed.\n`);
      const rollback = await mqadmin('rollbackTransaction', '-n', admin, '-i', toRollBack.transactionId);
      expect(rollback.stdout).toContain('rolled back.');
      expect(await delivered('tx-cli')).toEqual([toCommit.messageId]);

      const repeat = await mqadmin('commitTransaction', '-n', admin, '-i', toCommit.transactionId, '-t', 'tx-cli', '-k', toCommit.messageId);
      expect(repeat.stdout).toContain('was already committed.');
      const conflict = await mqadmin('rollbackTransaction', '-n', admin, '-i', toCommit.transactionId, '-t', 'tx-cli', '-k', toCommit.messageId);
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toContain('HTTP 409');
      expect(conflict.stderr.trimEnd().split('\n')).toHaveLength(1);

      const unknown = await mqadmin('commitTransaction', '-n', admin, '-i', 'nope');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('HTTP 404');
      const badState = await mqadmin('listHalfMessages', '-n', admin, '-s', 'done');
      expect(badState.code).toBe(2);
      const missingId = await mqadmin('commitTransaction', '-n', admin);
      expect(missingId.code).toBe(2);
    });

    it('resolves the half message of the topic -t names when one message id (the transaction id) is a half message in two topics', async () => {
      const messageId = randomUUID();
      for (const topic of ['tx-admin', 'tx-cli']) expect(await sendHalf(topic, messageId)).toEqual({ messageId, transactionId: messageId });
      const listed = await mqadmin('listHalfMessages', '-n', admin);
      expect(listed.stdout.split('\n').filter((line) => line.startsWith(messageId))).toHaveLength(2);

      const commit = await mqadmin('commitTransaction', '-n', admin, '-i', messageId, '-t', 'tx-cli');
      expect(commit.stdout).toBe(`transaction [${messageId}] of message [${messageId}] on topic [tx-cli] committed.\n`);
      expect(await delivered('tx-cli')).toContain(messageId);
      expect(await delivered('tx-admin')).not.toContain(messageId);
      const rollback = await mqadmin('rollbackTransaction', '-n', admin, '-i', messageId);
      expect(rollback.stdout).toBe(`transaction [${messageId}] of message [${messageId}] on topic [tx-admin] rolled back.\n`);
      expect(broker.broker.transactions.list()).toEqual([]);
    });
  });
});
