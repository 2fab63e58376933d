import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { GroupStatePersistence, DELIVERY_STATE_FILE } from '../delivery/group-state-persistence';
import { GroupStateTable } from '../delivery/group-state-table';
import { SCHEDULE_PROGRESS_FILE, ScheduleProgress } from '../schedule/schedule-progress';
import { TOPICS_FILE, TopicRegistry } from '../topics/topic-registry';
import { TRANSACTION_STATE_FILE, TransactionStateFile } from '../transaction/transaction-state-file';
import { CONSUMER_OFFSETS_FILE, ConsumerOffsetStore } from './consumer-offset-store';

/**
 * The state files of the layers above the store, damaged (issue 18, section 4): truncated, or a
 * flipped byte that breaks the document. Files that cannot be rebuilt from the commit log
 * (consumer offsets, delivery state, schedule progress, topics) are refused with an error that
 * has a stable code and names the file, and are left as they are; transaction state, which is a
 * projection of the log, is reported invalid so the service rebuilds it from the log.
 */
const logger = pino({ level: 'silent' });

interface Kind {
  file: string;
  /** A valid document, as the layer writes it. */
  text: string;
  /** Loads the directory: resolves if the file was accepted, rejects with the layer's error. */
  load(dir: string): Promise<unknown>;
  /** The refusal's code; undefined where the file is rebuilt instead. */
  code?: string;
}

const KINDS: Kind[] = [
  {
    file: CONSUMER_OFFSETS_FILE,
    text: JSON.stringify({ version: 1, offsets: { group: { orders: { '0': 42, '1': 7 } } } }, null, 2) + '\n',
    load: (dir) => new ConsumerOffsetStore(dir).open(),
    code: 'STORE_ERR_CONSUMER_OFFSETS_CORRUPT',
  },
  {
    file: SCHEDULE_PROGRESS_FILE,
    text: JSON.stringify({ version: 1, frontierOffset: 120, deliveredRanges: [[125, 130]] }) + '\n',
    load: (dir) => new ScheduleProgress(dir).load(),
    code: 'BROKER_ERR_SCHEDULE_STATE_CORRUPT',
  },
  {
    file: DELIVERY_STATE_FILE,
    text:
      JSON.stringify({
        version: 1,
        nextDeliveryId: 9,
        queues: [
          {
            group: 'g',
            topic: 'orders',
            queueId: 0,
            consumerOffset: 4,
            nextOffset: 6,
            done: [],
            inFlight: [{ offset: 4, deliveryId: 8, attempts: 1, invisibleUntilMs: 1 }],
            held: [],
          },
        ],
      }) + '\n',
    load: (dir) => new GroupStatePersistence(dir).load(new GroupStateTable()),
    code: 'BROKER_ERR_DELIVERY_STATE_CORRUPT',
  },
  {
    file: TOPICS_FILE,
    text: JSON.stringify({ version: 1, topics: [] }) + '\n',
    load: (dir) => new TopicRegistry(dir, { autoCreateTopicEnable: false, defaultTopicQueueNums: 8, autoCreateSubscriptionGroup: false }, logger).open(),
    code: 'BROKER_ERR_TOPIC_CONFIG_CORRUPT',
  },
  {
    file: TRANSACTION_STATE_FILE,
    text: JSON.stringify({ version: 1, appliedOffset: 0, lastRecord: null, halves: [], resolvedOffsets: [], resolvedStates: '' }) + '\n',
    load: async (dir) => {
      const read = await new TransactionStateFile(dir).read();
      if (typeof read === 'object' && 'invalid' in read) throw Object.assign(new Error(read.invalid), { rebuilt: true });
      return read;
    },
  },
];

const DAMAGES: Array<[string, (text: string) => string]> = [
  ['truncated to half', (text) => text.slice(0, Math.floor(text.length / 2))],
  ['truncated to nothing', () => ''],
  ['with its opening brace flipped', (text) => '[' + text.slice(1)],
  ['with a flipped byte in a key', (text) => text.replace('"version"', '"vershon"')],
];

describe.each(KINDS)('$file damaged', (kind) => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'state-damage-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('loads the undamaged document', async () => {
    await fs.writeFile(path.join(dir, kind.file), kind.text);
    await expect(kind.load(dir)).resolves.not.toThrow();
  });

  it.each(DAMAGES)(
    `is ${kind.code ? 'refused naming the file, and left as it is,' : 'reported invalid, so it is rebuilt from the log,'} when %s`,
    async (_label, damage) => {
      const file = path.join(dir, kind.file);
      const damaged = damage(kind.text);
      await fs.writeFile(file, damaged);
      const error = await kind.load(dir).then(
        () => undefined,
        (caught: unknown) => caught as Error & { code?: string; rebuilt?: boolean },
      );
      expect(error).toBeDefined();
      if (kind.code) {
        expect(error?.code).toBe(kind.code);
        expect(error?.message).toContain(file);
        expect(await fs.readFile(file, 'utf8')).toBe(damaged);
      } else {
        expect(error?.rebuilt).toBe(true);
      }
    },
  );
});
