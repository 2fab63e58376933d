import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MessageInput } from '../src/store/message-record';
import { AppendResult } from '../src/store/message-store';
import { GIB, MIB } from '@app/testkit';

/** What the command line chose; `--quick` shrinks every size and duration for a smoke run. */
export interface BenchOptions {
  /** Parent of this run's temp directory (the store lives where user data would). */
  dir: string;
  quick: boolean;
  recoveryBytes: number;
  /** Messages per ASYNC variant (also bounded by `asyncMaxMs`). */
  asyncMessages: number;
  asyncMaxMs: number;
  syncDurationMs: number;
  rawWriteBytes: number;
  rawSyncDurationMs: number;
  /** Phases to run: raw, async, sync, recovery. */
  phases: Set<string>;
  /** Also measure crash recovery with a cold page cache (root only; drops the machine's caches). */
  dropCaches: boolean;
}

const USAGE = `usage: npm run bench:store -- [--quick] [--dir DIR] [--recovery-gib N] [--messages N]
                              [--only raw,async,sync,recovery] [--drop-caches]`;

export function parseOptions(argv: string[], repoRoot: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      dir: { type: 'string' },
      'recovery-gib': { type: 'string' },
      messages: { type: 'string' },
      only: { type: 'string' },
      'drop-caches': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const recoveryGib = values['recovery-gib'] !== undefined ? Number(values['recovery-gib']) : quick ? 1 / 16 : 1;
  const messages = values.messages !== undefined ? Number(values.messages) : quick ? 30_000 : 300_000;
  if (!(recoveryGib > 0) || !(messages > 0)) throw new Error(`bad numeric option\n${USAGE}`);
  return {
    dir: path.resolve(values.dir ?? path.join(repoRoot, '.bench')),
    quick,
    recoveryBytes: Math.round(recoveryGib * GIB),
    asyncMessages: messages,
    asyncMaxMs: quick ? 3_000 : 10_000,
    syncDurationMs: quick ? 1_000 : 3_000,
    rawWriteBytes: (quick ? 64 : 512) * MIB,
    rawSyncDurationMs: quick ? 1_000 : 2_000,
    phases: new Set((values.only ?? 'raw,async,sync,recovery').split(',').map((p) => p.trim())),
    dropCaches: values['drop-caches'] === true,
  };
}

/**
 * Builds the benchmark's messages: 1 KiB body, 10-character topic, one tag, one key, a
 * 32-hex-digit id, spread round-robin over the queues. Ids come from a random prefix and a
 * counter so making them costs next to nothing inside the measured loop.
 */
export class MessageFactory {
  readonly topic = 'BenchTopic';
  private readonly body: Buffer;
  private readonly idPrefix = randomBytes(8).toString('hex');
  private counter = 0;

  constructor(
    readonly bodyBytes: number,
    readonly queueCount: number,
  ) {
    this.body = randomBytes(bodyBytes);
  }

  get produced(): number {
    return this.counter;
  }

  next(): MessageInput {
    const n = this.counter++;
    return {
      topic: this.topic,
      queueId: n % this.queueCount,
      messageId: this.idPrefix + n.toString(16).padStart(16, '0'),
      bornTimestampMs: Date.now(),
      tag: 'TagA',
      keys: ['order-' + n],
      body: this.body,
    };
  }

  batch(size: number): MessageInput[] {
    const messages = new Array<MessageInput>(size);
    for (let i = 0; i < size; i++) messages[i] = this.next();
    return messages;
  }
}

/** Bytes the records of an append occupy in the commit log; throws on anything but `ok`. */
export function appendedBytes(result: AppendResult): number {
  if (result.status !== 'ok') throw new Error(`append failed: ${JSON.stringify(result)}`);
  let bytes = 0;
  for (const record of result.records) bytes += record.size;
  return bytes;
}
