import fc from 'fast-check';
import pino from 'pino';
import { FileMessageStore } from './file-message-store';
import { MessageInput, StoredMessage } from './message-record';
import { SimulatedDisk, seededRandom } from './simulated-disk.test-support';
import { FlushDiskType, StoreOptions } from './store-options';

/**
 * Power cuts at random points (issue 18, section 1), in-process on a simulated disk that loses
 * what was not synced or keeps a random prefix of it with the next write torn (LazyFS's model).
 * Each run appends in rounds over a few open/close sessions (so cuts also land in recovery,
 * checkpoints, consume-queue and index writes, segment rolls), cuts the power before a random
 * disk operation, reopens, and checks:
 * - SYNC_FLUSH: every acknowledged append is there, whole;
 * - ASYNC_FLUSH: every append acknowledged before the last flush() that resolved is there;
 * - both: the store opens (no torn record is refused as damage), serves only messages that were
 *   appended, byte for byte, with contiguous queue offsets, and reports no damaged record.
 */
const logger = pino({ level: 'silent' });
const DIR = '/broker/store';
const TOPIC = 'orders';
const QUEUES = 3;
const RUNS = Number(process.env.POWER_CUT_RUNS ?? 300);
const SEED = 18;
const OPTIONS: Partial<StoreOptions> = {
  segmentSizeBytes: 4096,
  consumeQueueEntriesPerFile: 8,
  tailCacheBytes: 8192,
  // No timer runs during a case: every write is one the case made, so a seed replays exactly.
  checkpointIntervalMs: 600_000,
  flushIntervalMs: 600_000,
  writeRetryIntervalMs: 600_000,
};

/** One round: appends sent together (some as batches), then maybe a flush, maybe a clean restart. */
interface Round {
  sizes: number[];
  flush: boolean;
  restart: boolean;
}

interface Ledger {
  bodies: Map<string, Buffer>;
  acked: string[];
  /** Acknowledged before the last flush() that resolved. */
  flushed: Set<string>;
}

function messageFor(id: string, queueId: number, bodyBytes: number): MessageInput {
  return { topic: TOPIC, queueId, messageId: id, bornTimestampMs: 1, keys: [`k-${id}`], body: Buffer.alloc(bodyBytes, id) };
}

/** Runs the rounds until the power is cut (or after the last one, cuts it then). */
async function workload(disk: SimulatedDisk, flushDiskType: FlushDiskType, rounds: Round[], ledger: Ledger): Promise<void> {
  let store: FileMessageStore | undefined;
  let next = 0;
  try {
    for (const round of rounds) {
      if (!store) {
        store = new FileMessageStore({ dir: DIR, flushDiskType, ...OPTIONS }, logger, disk.mount());
        await store.open();
      }
      const appends = round.sizes.map((size, i) => {
        const inputs = Array.from({ length: 1 + (i % 3 === 2 ? 2 : 0) }, () => {
          const id = `m${next++}`;
          const input = messageFor(id, next % QUEUES, size);
          ledger.bodies.set(id, input.body);
          return input;
        });
        return store!.append(inputs.length === 1 ? inputs[0] : inputs).then((result) => {
          if (result.status === 'ok') ledger.acked.push(...inputs.map((input) => input.messageId));
        });
      });
      await Promise.all(appends);
      if (disk.powerCutHappened) break;
      if (round.flush) {
        const acked = [...ledger.acked];
        await store.flush();
        for (const id of acked) ledger.flushed.add(id);
      }
      if (round.restart) {
        const closing = store;
        store = undefined;
        await closing.close();
        if (closing.state !== 'closed') throw new Error(`close left the store ${closing.state}`);
      }
    }
  } catch (error) {
    if (!disk.powerCutHappened) throw error;
  }
  if (!disk.powerCutHappened) disk.powerCut();
  await store?.close().catch(() => undefined);
}

/** Reopens after the cut and checks what the queues serve against the ledger. */
async function verify(disk: SimulatedDisk, flushDiskType: FlushDiskType, ledger: Ledger): Promise<void> {
  const store = new FileMessageStore({ dir: DIR, flushDiskType, ...OPTIONS }, logger, disk.mount());
  await store.open();
  try {
    const served = new Map<string, StoredMessage>();
    for (let queueId = 0; queueId < QUEUES; queueId++) {
      const { minOffset, maxOffset } = store.getQueueBounds(TOPIC, queueId);
      const messages = await store.readQueue(TOPIC, queueId, minOffset, maxOffset - minOffset + 1);
      expect(messages.map((m) => m.queueOffset)).toEqual(Array.from({ length: maxOffset - minOffset }, (_, i) => minOffset + i));
      for (const message of messages) served.set(message.messageId, message);
    }
    for (const [id, message] of served) {
      expect(ledger.bodies.get(id)?.equals(message.body)).toBe(true);
      expect((await store.queryByKey(TOPIC, `k-${id}`, 1)).map((m) => m.messageId)).toEqual([id]);
    }
    const mustSurvive = flushDiskType === 'SYNC_FLUSH' ? ledger.acked : [...ledger.flushed];
    expect(mustSurvive.filter((id) => !served.has(id))).toEqual([]);
    expect(store.damagedRecords().total).toBe(0);
  } finally {
    await store.close();
  }
}

const roundArbitrary: fc.Arbitrary<Round> = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
  flush: fc.boolean(),
  restart: fc.boolean(),
});

describe.each<FlushDiskType>(['SYNC_FLUSH', 'ASYNC_FLUSH'])('FileMessageStore power cuts (%s)', (flushDiskType) => {
  it(`keeps what it promised across ${RUNS} random power cuts`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(roundArbitrary, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 250 }),
        fc.constantFrom<'random-prefix' | 'all-unsynced'>('random-prefix', 'all-unsynced'),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (rounds, cutAfter, lose, diskSeed) => {
          const disk = new SimulatedDisk(seededRandom(diskSeed));
          disk.cutPowerAfter(cutAfter, { lose });
          const ledger: Ledger = { bodies: new Map(), acked: [], flushed: new Set() };
          await workload(disk, flushDiskType, rounds, ledger);
          await verify(disk, flushDiskType, ledger);
        },
      ),
      { seed: SEED + (flushDiskType === 'SYNC_FLUSH' ? 0 : 1), numRuns: RUNS, endOnFailure: true },
    );
  }, 120_000);
});
