/**
 * Child process for the crash tests: opens a FileMessageStore under SYNC_FLUSH and appends
 * until killed, printing `ack <id>[,<id>...]` for every acknowledged append (a batch acks all
 * its ids at once). stdout is a pipe, which Node writes synchronously on Linux, so a line the
 * parent reads was acknowledged before the kill.
 *
 * argv: <store dir> <id prefix>
 */
import pino from 'pino';
import { FileMessageStore } from '../../apps/broker/src/store/file-message-store';
import { MessageInput } from '../../apps/broker/src/store/message-record';

const QUEUES = 4;
const CONCURRENCY = 8;

async function main(): Promise<void> {
  const [dir, prefix] = process.argv.slice(2);
  const store = new FileMessageStore({ dir, segmentSizeBytes: 256 * 1024, flushDiskType: 'SYNC_FLUSH', checkpointIntervalMs: 40 }, pino({ level: 'silent' }));
  await store.open();
  process.stdout.write('ready\n');
  let next = 0;
  const message = (id: string, n: number): MessageInput => ({
    topic: 'crash-topic',
    queueId: n % QUEUES,
    messageId: id,
    bornTimestampMs: Date.now(),
    tag: n % 2 === 0 ? 'even' : 'odd',
    keys: [`key-${id}`],
    body: Buffer.alloc(100 + ((n * 7919) % 3000), n % 251),
  });
  const worker = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      const batch = n % 5 === 0 ? [0, 1, 2].map((b) => message(`${prefix}-${n}-b${b}`, n)) : [message(`${prefix}-${n}`, n)];
      const result = await store.append(batch);
      if (result.status !== 'ok') throw new Error(`append failed: ${JSON.stringify(result)}`);
      process.stdout.write(`ack ${batch.map((m) => m.messageId).join(',')}\n`);
    }
  };
  for (let i = 0; i < CONCURRENCY; i++) void worker();
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
