import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScheduleStateCorruptError } from './delay-scheduler.errors';
import { SCHEDULE_PROGRESS_FILE, ScheduleProgress } from './schedule-progress';

describe('ScheduleProgress', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'schedule-progress-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function loaded(): Promise<ScheduleProgress> {
    const progress = new ScheduleProgress(dir);
    await progress.load();
    return progress;
  }

  const readDocument = async (): Promise<unknown> => JSON.parse(await fs.readFile(path.join(dir, SCHEDULE_PROGRESS_FILE), 'utf8'));

  it('starts with nothing delivered and writes nothing until something changes', async () => {
    const progress = await loaded();
    expect(progress.frontierOffset).toBe(0);
    expect(progress.isDelivered(0)).toBe(false);
    expect(await progress.persist()).toBe(false);
    await expect(fs.access(progress.file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('advances the frontier over consecutive deliveries and keeps the rest as ranges', async () => {
    const progress = await loaded();
    for (const offset of [3, 4, 1, 7, 0, 5]) progress.markDelivered(offset);
    expect(progress.frontierOffset).toBe(2);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((offset) => progress.isDelivered(offset))).toEqual([true, true, false, true, true, true, false, true, false]);
    expect(await progress.persist()).toBe(true);
    expect(await readDocument()).toEqual({
      version: 1,
      frontierOffset: 2,
      deliveredRanges: [
        [3, 6],
        [7, 8],
      ],
    });

    const reloaded = await loaded();
    expect(reloaded.frontierOffset).toBe(2);
    expect([2, 3, 5, 6, 7].map((offset) => reloaded.isDelivered(offset))).toEqual([false, true, true, false, true]);
    reloaded.markDelivered(2);
    expect(reloaded.frontierOffset).toBe(6);
  });

  it('skips what retention removed and forgets deliveries past the end of the queue', async () => {
    const progress = await loaded();
    for (const offset of [2, 5, 9]) progress.markDelivered(offset);
    progress.advanceTo(3);
    expect(progress.frontierOffset).toBe(3);
    progress.truncateTo(6);
    expect([5, 9].map((offset) => progress.isDelivered(offset))).toEqual([true, false]);
    progress.truncateTo(1);
    expect(progress.frontierOffset).toBe(1);
    expect(progress.isDelivered(1)).toBe(false);
  });

  it.each([
    ['not JSON', '{'],
    ['wrong version', '{"version":2,"frontierOffset":0,"deliveredRanges":[]}'],
    ['negative frontier', '{"version":1,"frontierOffset":-1,"deliveredRanges":[]}'],
    ['fractional frontier', '{"version":1,"frontierOffset":1.5,"deliveredRanges":[]}'],
    ['ranges missing', '{"version":1,"frontierOffset":0}'],
    ['range below the frontier', '{"version":1,"frontierOffset":5,"deliveredRanges":[[3,6]]}'],
    ['empty range', '{"version":1,"frontierOffset":0,"deliveredRanges":[[3,3]]}'],
    ['overlapping ranges', '{"version":1,"frontierOffset":0,"deliveredRanges":[[3,6],[5,8]]}'],
    ['malformed range', '{"version":1,"frontierOffset":0,"deliveredRanges":[[3]]}'],
    ['huge range', '{"version":1,"frontierOffset":0,"deliveredRanges":[[1,900000000]]}'],
    ['null', 'null'],
  ])('refuses a file with %s, leaving it in place', async (_, text) => {
    const file = path.join(dir, SCHEDULE_PROGRESS_FILE);
    await fs.writeFile(file, text);
    await expect(loaded()).rejects.toBeInstanceOf(ScheduleStateCorruptError);
    await expect(loaded()).rejects.toMatchObject({ code: 'BROKER_ERR_SCHEDULE_STATE_CORRUPT', file });
    expect(await fs.readFile(file, 'utf8')).toBe(text);
  });

  it('ignores a temp file left by a write that crashed before its rename', async () => {
    await fs.writeFile(path.join(dir, `${SCHEDULE_PROGRESS_FILE}.tmp`), 'garbage');
    expect((await loaded()).frontierOffset).toBe(0);
  });
});
