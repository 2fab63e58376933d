import * as path from 'node:path';
import { makeDirectoryDurable, readFileIfExists, writeFileAtomic } from '../store/atomic-file';
import { StoreFileSystem, nodeFileSystem } from '../store/store-file-system';

/** The state file, in the service's state directory. */
export const TRANSACTION_STATE_FILE = 'transaction-state.json';

/** A half message that is still unresolved (pending, or waiting for an operator in check-max). */
export interface PersistedHalf {
  offset: number;
  size: number;
  topic: string;
  queueId: number;
  messageId: string;
  producerGroup: string | null;
  bornTimestampMs: number;
  storeTimestampMs: number;
  checkImmunityMs: number;
  /** Check-backs sent to a live producer so far. */
  checkCount: number;
  nextCheckAtMs: number;
  state: 'pending' | 'check-max';
}

/**
 * The state file, written whole by writeFileAtomic (a crash leaves the old or the new one):
 *
 * ```json
 * { "version": 1,
 *   "appliedOffset": 81920,
 *   "lastRecord": { "offset": 81700, "size": 220, "messageId": "7F00..." },
 *   "halves": [ { "offset": 4096, "size": 310, "topic": "payments", "queueId": 0,
 *                 "messageId": "7F00...", "producerGroup": "payments", "bornTimestampMs": ...,
 *                 "storeTimestampMs": ..., "checkImmunityMs": 0, "checkCount": 2,
 *                 "nextCheckAtMs": ..., "state": "pending" } ],
 *   "resolvedOffsets": [2048, 1024], "resolvedStates": "CR" }
 * ```
 *
 * - `appliedOffset`: every commit-log record below it is reflected. It is only written after the
 *   store flushed past it, so it never covers a record a crash could take back. open() reads the
 *   log from there (the log is the source of truth; this file saves the scan and keeps check
 *   counts).
 * - `lastRecord`: the record that ends at or before `appliedOffset`; open() reads it back to make
 *   sure the file belongs to this log (not one wiped, repaired or swapped since).
 * - `halves`: unresolved half messages, oldest first.
 * - `resolvedOffsets` / `resolvedStates`: remembered resolutions, in the order they happened,
 *   as half-message offsets and one letter each: `C` committed, `R` rolled back.
 */
export interface TransactionStateDocument {
  version: 1;
  appliedOffset: number;
  lastRecord: { offset: number; size: number; messageId: string } | null;
  halves: PersistedHalf[];
  resolvedOffsets: number[];
  resolvedStates: string;
}

/** Reads and writes the state file. One write at a time (writes share the temp file). */
export class TransactionStateFile {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly fileSystem: StoreFileSystem = nodeFileSystem,
  ) {}

  get file(): string {
    return path.join(this.dir, TRANSACTION_STATE_FILE);
  }

  /**
   * The document; `missing` if there is none; a reason string if it exists but is not a valid
   * document (the caller rebuilds from the log and leaves the file until its next write).
   */
  async read(): Promise<TransactionStateDocument | 'missing' | { invalid: string }> {
    await makeDirectoryDurable(this.dir, this.fileSystem);
    const raw = await readFileIfExists(this.file, this.fileSystem);
    if (raw === undefined) return 'missing';
    const parsed = parseTransactionState(raw.toString('utf8'));
    return typeof parsed === 'string' ? { invalid: parsed } : parsed;
  }

  write(text: string): Promise<void> {
    const run = this.writes.then(() => writeFileAtomic(this.file, text, this.fileSystem));
    this.writes = run.catch(() => undefined);
    return run;
  }
}

/** The document in `text`, or why it is not one. */
export function parseTransactionState(text: string): TransactionStateDocument | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (!isObject(value)) return 'not a JSON object';
  if (value.version !== 1) return `unknown version ${JSON.stringify(value.version)}`;
  if (!isOffset(value.appliedOffset)) return 'appliedOffset is not a non-negative integer';
  const lastRecord = value.lastRecord;
  if (lastRecord !== null) {
    if (!isObject(lastRecord) || !isOffset(lastRecord.offset) || !isOffset(lastRecord.size) || typeof lastRecord.messageId !== 'string') {
      return 'lastRecord is not {offset, size, messageId}';
    }
    if (lastRecord.offset + lastRecord.size > value.appliedOffset) return 'lastRecord ends after appliedOffset';
  }
  if (!Array.isArray(value.halves)) return 'halves is not an array';
  let previous = -1;
  for (const half of value.halves as unknown[]) {
    const problem = halfProblem(half, value.appliedOffset);
    if (problem) return `half message entry ${JSON.stringify(half)}: ${problem}`;
    const offset = (half as PersistedHalf).offset;
    if (offset <= previous) return 'halves are not in ascending offset order';
    previous = offset;
  }
  const offsets = value.resolvedOffsets;
  const states = value.resolvedStates;
  if (!Array.isArray(offsets) || !offsets.every(isOffset)) return 'resolvedOffsets is not an array of offsets';
  if (typeof states !== 'string' || states.length !== offsets.length || !/^[CR]*$/.test(states)) {
    return 'resolvedStates is not one C or R per resolved offset';
  }
  return value as unknown as TransactionStateDocument;
}

function halfProblem(half: unknown, appliedOffset: number): string | undefined {
  if (!isObject(half)) return 'not an object';
  if (!isOffset(half.offset) || !isOffset(half.size) || half.size === 0) return 'bad offset or size';
  if (half.offset + half.size > appliedOffset) return 'lies after appliedOffset';
  if (typeof half.topic !== 'string' || half.topic === '' || typeof half.messageId !== 'string') return 'bad topic or message id';
  if (!isOffset(half.queueId)) return 'bad queue id';
  if (half.producerGroup !== null && typeof half.producerGroup !== 'string') return 'bad producer group';
  for (const field of ['bornTimestampMs', 'storeTimestampMs', 'nextCheckAtMs'] as const) {
    if (!Number.isSafeInteger(half[field])) return `${field} is not an integer`;
  }
  if (!isOffset(half.checkImmunityMs) || !isOffset(half.checkCount)) return 'bad checkImmunityMs or checkCount';
  if (half.state !== 'pending' && half.state !== 'check-max') return `unknown state ${JSON.stringify(half.state)}`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOffset(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
