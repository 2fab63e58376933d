import fc from 'fast-check';
import pino from 'pino';
import { ScheduleProgress } from '../schedule/schedule-progress';
import { TopicRegistry } from '../topics/topic-registry';
import { TransactionStateFile } from '../transaction/transaction-state-file';
import { ConsumerOffsetStore } from './consumer-offset-store';
import { SimulatedDisk, seededRandom } from './simulated-disk.test-support';
import { StoreFileSystem } from './store-file-system';

/**
 * The state files written whole with writeFileAtomic (consumer-group offsets, schedule progress,
 * transaction state, topics) under power cuts at random points (issue 18, section 1): after the
 * cut each one holds the last state whose write resolved, or the one being written, never a mix,
 * never an older one, never nothing. That needs the temp file synced before the rename and the
 * directory synced after it; the simulated disk loses whatever was not.
 */
const DIR = '/broker/state';
const RUNS = Number(process.env.POWER_CUT_RUNS ?? 200);
const logger = pino({ level: 'silent' });

/** One kind of state file: write version n, read back which version the file holds. */
interface StateFileKind {
  name: string;
  write(fileSystem: StoreFileSystem, version: number): Promise<void>;
  /** The version the file holds, 0 for none. */
  read(fileSystem: StoreFileSystem): Promise<number>;
}

const KINDS: StateFileKind[] = [
  {
    name: 'consumer-offsets.json',
    write: async (fileSystem, version) => {
      const offsets = new ConsumerOffsetStore(DIR, fileSystem);
      await offsets.open();
      for (let queueId = 0; queueId < 4; queueId++) offsets.set('group', 'orders', queueId, version);
      await offsets.persist();
    },
    read: async (fileSystem) => {
      const offsets = new ConsumerOffsetStore(DIR, fileSystem);
      await offsets.open();
      const values = new Set([0, 1, 2, 3].map((queueId) => offsets.get('group', 'orders', queueId) ?? 0));
      if (values.size !== 1) throw new Error(`a mix of versions: ${[...values].join(', ')}`);
      return [...values][0];
    },
  },
  {
    name: 'schedule-progress.json',
    write: async (fileSystem, version) => {
      const progress = new ScheduleProgress(DIR, fileSystem);
      await progress.load();
      progress.advanceTo(version * 10);
      await progress.persist();
    },
    read: async (fileSystem) => {
      const progress = new ScheduleProgress(DIR, fileSystem);
      await progress.load();
      return progress.frontierOffset / 10;
    },
  },
  {
    name: 'transaction-state.json',
    write: async (fileSystem, version) => {
      const file = new TransactionStateFile(DIR, fileSystem);
      await file.read();
      await file.write(
        JSON.stringify({
          version: 1,
          appliedOffset: version,
          lastRecord: null,
          halves: [],
          resolvedOffsets: [],
          resolvedStates: '',
          padding: 'x'.repeat(version * 7),
        }),
      );
    },
    read: async (fileSystem) => {
      const document = await new TransactionStateFile(DIR, fileSystem).read();
      if (document === 'missing') return 0;
      if ('invalid' in document) throw new Error(document.invalid);
      return document.appliedOffset;
    },
  },
  {
    name: 'topics.json',
    write: async (fileSystem, version) => {
      const registry = new TopicRegistry(
        DIR,
        { autoCreateTopicEnable: false, defaultTopicQueueNums: 8, autoCreateSubscriptionGroup: false },
        logger,
        fileSystem,
      );
      await registry.open();
      await registry.upsert({ name: 'orders', readQueueNums: version, writeQueueNums: version });
    },
    read: async (fileSystem) => {
      const registry = new TopicRegistry(
        DIR,
        { autoCreateTopicEnable: false, defaultTopicQueueNums: 8, autoCreateSubscriptionGroup: false },
        logger,
        fileSystem,
      );
      await registry.open();
      return registry.get('orders')?.readQueueNums ?? 0;
    },
  },
];

describe.each(KINDS)('$name under power cuts', (kind) => {
  it(`holds the last written or the in-flight state after ${RUNS} random cuts`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom<'random-prefix' | 'all-unsynced'>('random-prefix', 'all-unsynced'),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (writes, cutAfter, lose, diskSeed) => {
          const disk = new SimulatedDisk(seededRandom(diskSeed));
          disk.cutPowerAfter(cutAfter, { lose });
          const fileSystem = disk.mount();
          let resolved = 0;
          for (let version = 1; version <= writes; version++) {
            try {
              await kind.write(fileSystem, version);
            } catch (error) {
              if (!disk.powerCutHappened) throw error;
              break;
            }
            resolved = version;
          }
          if (!disk.powerCutHappened) disk.powerCut({ lose });
          const found = await kind.read(disk.mount());
          expect([resolved, resolved + 1]).toContain(found);
        },
      ),
      { seed: 18, numRuns: RUNS, endOnFailure: true },
    );
  });
});
