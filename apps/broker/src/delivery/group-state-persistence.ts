import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../store/atomic-file';
import { QueueConsumeState, QueueStateSnapshot } from './consumer-group-state';
import { DeliveryIdSequence } from './delivery-id-sequence';
import { DeliveryStateCorruptError } from './delivery.errors';
import { GroupStateTable } from './group-state-table';

/** The file, in the delivery state directory, that holds every group's receive state. */
export const DELIVERY_STATE_FILE = 'delivery-state.json';

/**
 * The file's layout (written whole, atomically):
 * ```json
 * { "version": 1,
 *   "nextDeliveryId": 1234,
 *   "queues": [
 *     { "group": "order-service", "topic": "payment-succeeded", "queueId": 0,
 *       "consumerOffset": 40, "nextOffset": 46,
 *       "done": [[42, 2]],
 *       "inFlight": [{ "offset": 40, "deliveryId": 1201, "attempts": 2, "invisibleUntilMs": 1767225600000 },
 *                    { "offset": 41, "deliveryId": 1230, "attempts": 1, "invisibleUntilMs": 1767225630000, "messageGroup": "order-7" }],
 *       "held": [{ "messageGroup": "order-7", "offsets": [44, 45] }] } ] }
 * ```
 * `done` lists finished offsets above the frontier as [first, count] runs. Cost: one entry per
 * unacknowledged message, bounded per queue by `maxUnackedMessagesPerQueue`.
 */
interface DeliveryStateDocument {
  version: 1;
  nextDeliveryId: number;
  queues: Array<QueueStateSnapshot & { group: string; topic: string; queueId: number }>;
}

/**
 * Reads and writes `delivery-state.json`. A write replaces the file atomically (temp file,
 * fdatasync, rename, directory fsync), so after a crash it holds the last written state or the
 * one before. Writes run one at a time and only when the table changed since the last one.
 * Between writes (at most `persistIntervalMs`), a crash forgets recent acknowledgements: those
 * messages are delivered again (at-least-once), never lost.
 */
export class GroupStatePersistence {
  private writes: Promise<unknown> = Promise.resolve();
  private persistedChanges = -1;

  constructor(private readonly dir: string) {}

  get file(): string {
    return path.join(this.dir, DELIVERY_STATE_FILE);
  }

  /**
   * Loads the file into an empty table and returns the persisted next delivery id (1 without a
   * file). A file that does not check out throws DeliveryStateCorruptError and is left as it is.
   */
  async load(table: GroupStateTable): Promise<number> {
    await fs.mkdir(this.dir, { recursive: true });
    const raw = await readFileIfExists(this.file);
    const nextDeliveryId = raw === undefined ? 1 : parseDocument(this.file, raw.toString('utf8'), table);
    this.persistedChanges = table.changes;
    return nextDeliveryId;
  }

  /** Writes the table if it changed since the last write; resolves true if it wrote. */
  persist(table: GroupStateTable, ids: DeliveryIdSequence): Promise<boolean> {
    const run = this.writes.then(() => this.writeIfChanged(table, ids));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async writeIfChanged(table: GroupStateTable, ids: DeliveryIdSequence): Promise<boolean> {
    const changes = table.changes;
    if (changes === this.persistedChanges) return false;
    // The snapshot is taken synchronously, so it is one consistent state of the table, and every
    // delivery id in it is below the next id it records.
    const document: DeliveryStateDocument = { version: 1, nextDeliveryId: ids.peek, queues: [] };
    for (const [group, state] of table.all()) document.queues.push({ group, topic: state.topic, queueId: state.queueId, ...state.snapshot() });
    await writeFileAtomic(this.file, JSON.stringify(document) + '\n');
    this.persistedChanges = changes;
    return true;
  }
}

/** Parses and checks the whole document; any deviation is corruption, never silently skipped. */
function parseDocument(file: string, text: string, table: GroupStateTable): number {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DeliveryStateCorruptError(file, `not JSON (${(error as Error).message})`);
  }
  if (!isObject(document) || document.version !== 1 || !isOffset(document.nextDeliveryId) || !Array.isArray(document.queues)) {
    throw new DeliveryStateCorruptError(file, 'expected {"version": 1, "nextDeliveryId": n, "queues": [...]}');
  }
  for (const entry of document.queues as unknown[]) {
    const problem = queueProblem(entry);
    const where = isObject(entry) ? ` (${JSON.stringify(entry.group)} / ${JSON.stringify(entry.topic)} / ${JSON.stringify(entry.queueId)})` : '';
    if (problem) throw new DeliveryStateCorruptError(file, `bad queue entry${where}: ${problem}`);
    const snapshot = entry as DeliveryStateDocument['queues'][number];
    if (table.get(snapshot.group, snapshot.topic, snapshot.queueId)) throw new DeliveryStateCorruptError(file, `duplicate queue entry${where}`);
    table.add(snapshot.group, QueueConsumeState.restore(snapshot.topic, snapshot.queueId, snapshot));
  }
  return document.nextDeliveryId;
}

/** Checks one queue entry: types, and that every offset lies in [consumerOffset, nextOffset) once. */
function queueProblem(entry: unknown): string | undefined {
  if (!isObject(entry)) return 'not an object';
  const { group, topic, queueId, consumerOffset, nextOffset, done, inFlight, held } = entry;
  if (typeof group !== 'string' || typeof topic !== 'string' || !isOffset(queueId)) return 'group, topic or queueId missing';
  if (!isOffset(consumerOffset) || !isOffset(nextOffset) || nextOffset < consumerOffset) return 'consumerOffset / nextOffset invalid';
  if (!Array.isArray(done) || !Array.isArray(inFlight) || !Array.isArray(held)) return 'done, inFlight or held is not an array';
  const seen = new Set<number>();
  const claim = (offset: unknown): boolean => {
    if (!isOffset(offset) || offset < consumerOffset || offset >= nextOffset || seen.has(offset)) return false;
    seen.add(offset);
    return true;
  };
  for (const run of done) {
    if (!Array.isArray(run) || run.length !== 2 || !isOffset(run[0]) || !isOffset(run[1]) || run[1] < 1 || run[0] + run[1] > nextOffset) return 'bad done run';
    // The frontier never has a finished offset at it: it would have advanced over it.
    if (run[0] <= consumerOffset) return 'done run at or below the frontier';
    for (let i = 0; i < run[1]; i++) if (!claim(run[0] + i)) return 'done offset repeated or out of range';
  }
  for (const delivery of inFlight) {
    if (!isObject(delivery) || !claim(delivery.offset)) return 'in-flight offset repeated or out of range';
    if (!isOffset(delivery.deliveryId) || !isOffset(delivery.attempts) || delivery.attempts < 1 || !isOffset(delivery.invisibleUntilMs))
      return 'bad in-flight entry';
    if (delivery.messageGroup !== undefined && typeof delivery.messageGroup !== 'string') return 'bad in-flight message group';
  }
  for (const waiting of held) {
    if (!isObject(waiting) || typeof waiting.messageGroup !== 'string' || !Array.isArray(waiting.offsets) || waiting.offsets.length === 0)
      return 'bad held entry';
    for (const offset of waiting.offsets) if (!claim(offset)) return 'held offset repeated or out of range';
  }
  return undefined;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
