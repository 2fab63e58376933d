import pino from 'pino';
import { FileMessageStore } from './file-message-store';
import { okRecords } from './message-store.test-support';
import { SimulatedDisk } from './simulated-disk.test-support';

/**
 * SYNC_FLUSH acknowledges an append only once fdatasync covers it (issue 18, section 1): at the
 * moment each append resolves, its bytes are already durable on the simulated disk. Fails if the
 * append pipeline stops calling fdatasync, or calls it after resolving.
 */
it('SYNC_FLUSH resolves an append only after its bytes are durable', async () => {
  const disk = new SimulatedDisk();
  const store = new FileMessageStore(
    { dir: '/s', flushDiskType: 'SYNC_FLUSH', segmentSizeBytes: 8192, checkpointIntervalMs: 600_000 },
    pino({ level: 'silent' }),
    disk.mount(),
  );
  await store.open();
  const durableAtAck: Array<{ end: number; durable: number }> = [];
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      store.append({ topic: 't', queueId: i % 4, messageId: `m${i}`, bornTimestampMs: 1, body: Buffer.alloc(300, i) }).then((result) => {
        const [record] = okRecords(result);
        const segmentBase = record.offset - (record.offset % 8192);
        const file = `/s/commitlog/${String(segmentBase).padStart(20, '0')}`;
        durableAtAck.push({ end: record.offset + record.size - segmentBase, durable: disk.durableLength(file) });
      }),
    ),
  );
  expect(durableAtAck).toHaveLength(60);
  for (const { end, durable } of durableAtAck) expect(durable).toBeGreaterThanOrEqual(end);
  expect(disk.calls.get('datasync')).toBeGreaterThan(0);
  await store.close();
});
