import { ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { FileMessageStore } from '../apps/broker/src/store/file-message-store';
import { StoredMessage } from '../apps/broker/src/store/message-record';
import { buildForChildren, ChildBuild } from '@app/testkit';

/**
 * A child process appends under SYNC_FLUSH and is killed with SIGKILL at a random moment, again
 * and again on the same store. After every kill the store must reopen by crash recovery with
 * every acknowledged message present and CRC-valid, no batch half-present, and consume queues
 * equal to ones rebuilt from the log alone.
 */
const KILLS = 24;
/** A fresh store every few kills keeps each verification small, so the loop stays fast. */
const KILLS_PER_STORE = 4;
const logger = pino({ level: 'silent' });

describe('store crash recovery (SIGKILL mid-append)', () => {
  let build: ChildBuild;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    build = await buildForChildren(['apps/broker/src/store', 'test/support']);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-crash-'));
  });

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  afterAll(async () => {
    await build.remove();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged record across ${KILLS} kills at random points`, async () => {
    let acked = new Set<string>();
    let totalAcked = 0;
    let kills = 0;
    const deadline = Date.now() + 100_000;
    for (let round = 0; round < KILLS && Date.now() < deadline; round++) {
      if (round % KILLS_PER_STORE === 0) {
        await fs.rm(dir, { recursive: true, force: true });
        acked = new Set<string>();
      }
      const newlyAcked = await runAndKill(build, dir, `r${round}`, 20 + Math.floor(Math.random() * 200), (c) => (child = c));
      for (const id of newlyAcked) acked.add(id);
      totalAcked += newlyAcked.length;
      kills++;

      const store = new FileMessageStore({ dir, segmentSizeBytes: 256 * 1024 }, logger);
      const report = await store.open();
      expect(report.mode).toBe('crash');
      const recovered = await readAllQueues(store);
      await store.close();

      for (const id of acked) expect(recovered.has(id)).toBe(true);
      // A batch is all or nothing: every batch member b0 implies b1 and b2.
      for (const id of recovered.keys()) {
        if (id.endsWith('-b0')) {
          const stem = id.slice(0, -3);
          expect([recovered.has(`${stem}-b1`), recovered.has(`${stem}-b2`)]).toEqual([true, true]);
        }
      }
      await expectQueuesMatchFullRebuild(dir, recovered);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(totalAcked).toBeGreaterThan(kills * 10);
  }, 150_000);
});

/** Starts the appender, waits `runMs` after it is ready, kills it; returns the ids it acked. */
function runAndKill(build: ChildBuild, dir: string, prefix: string, runMs: number, track: (c: ChildProcess) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [build.script('test/support/store-append-child.ts'), dir, prefix], {
      env: build.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    const acked: string[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), runMs);
        else if (line.startsWith('ack ')) acked.push(...line.slice(4).split(','));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`appender exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/** Every message reachable through the consume queues, checked for contiguous queue offsets. */
async function readAllQueues(store: FileMessageStore): Promise<Map<string, StoredMessage>> {
  const all = new Map<string, StoredMessage>();
  for (const [topic, queueId] of store.listQueues()) {
    const { minOffset, maxOffset } = store.getQueueBounds(topic, queueId);
    for (let from = minOffset; from < maxOffset; from += 512) {
      const messages = await store.readQueue(topic, queueId, from, 512);
      expect(messages.map((m) => m.queueOffset)).toEqual(range(from, Math.min(from + 512, maxOffset)));
      for (const message of messages) {
        expect(message.queueId).toBe(queueId);
        expect(all.has(message.messageId)).toBe(false);
        all.set(message.messageId, message);
      }
    }
  }
  return all;
}

/** Rebuilds every projection from the log alone (a copy with no checkpoint) and compares. */
async function expectQueuesMatchFullRebuild(dir: string, recovered: Map<string, StoredMessage>): Promise<void> {
  const copy = `${dir}-rebuild`;
  await fs.rm(copy, { recursive: true, force: true });
  await fs.cp(dir, copy, { recursive: true });
  for (const name of ['checkpoint', 'clean-shutdown', 'consumequeue', 'index']) {
    await fs.rm(path.join(copy, name), { recursive: true, force: true });
  }
  const rebuilt = new FileMessageStore({ dir: copy, segmentSizeBytes: 256 * 1024 }, logger);
  await rebuilt.open();
  try {
    const fromLog = await readAllQueues(rebuilt);
    expect([...fromLog.keys()].sort()).toEqual([...recovered.keys()].sort());
    for (const [id, message] of fromLog) {
      const mine = recovered.get(id) as StoredMessage;
      expect([mine.offset, mine.queueId, mine.queueOffset]).toEqual([message.offset, message.queueId, message.queueOffset]);
    }
  } finally {
    await rebuilt.close();
    await fs.rm(copy, { recursive: true, force: true });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
