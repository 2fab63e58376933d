import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { FileMessageStore } from './file-message-store';
import { MemoryMessageStore } from './memory-message-store';
import { describeMessageStoreContract } from './message-store.contract';
import { FlushDiskType } from './store-options';

/** Small segments, so the contract's larger cases roll the log several times. */
const SEGMENT_SIZE_BYTES = 64 * 1024;
const FLUSH_MODES: readonly FlushDiskType[] = ['SYNC_FLUSH', 'ASYNC_FLUSH'];
const logger = pino({ level: 'silent' });

describeMessageStoreContract('MemoryMessageStore', async (options) => {
  const store = new MemoryMessageStore({ segmentSizeBytes: SEGMENT_SIZE_BYTES, ...options });
  return { store, segmentSizeBytes: SEGMENT_SIZE_BYTES, dispose: () => store.close() };
});

for (const flushDiskType of FLUSH_MODES) {
  describeMessageStoreContract(`FileMessageStore (${flushDiskType})`, async (options) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-contract-'));
    const store = new FileMessageStore({ dir, segmentSizeBytes: SEGMENT_SIZE_BYTES, flushDiskType, ...options }, logger);
    return {
      store,
      segmentSizeBytes: SEGMENT_SIZE_BYTES,
      dispose: async () => {
        await store.close();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  });
}
