import * as path from 'node:path';
import { PersistedDocument } from '../store/persisted-document';
import { StoreFileSystem, nodeFileSystem } from '../store/store-file-system';
import { ScheduleStateCorruptError } from './delay-scheduler.errors';

/** The progress file, in the scheduler's state directory. */
export const SCHEDULE_PROGRESS_FILE = 'schedule-progress.json';

/** More delivered offsets above the frontier than this means the file is not ours. */
const MAX_DELIVERED_ABOVE_FRONTIER = 50_000_000;

/**
 * The progress file, written whole by writeFileAtomic:
 *
 *   { "version": 1, "frontierOffset": 120, "deliveredRanges": [[125, 130], [140, 141]] }
 *
 * - `frontierOffset`: every schedule-queue offset below it was delivered (or lost to retention);
 * - `deliveredRanges`: delivered offsets at or above the frontier, as sorted, disjoint, half-open
 *   [start, end) ranges. Messages leave in due-time order, not queue order, so offsets above the
 *   frontier are delivered while an earlier, longer-delayed message still waits.
 */
interface ScheduleProgressDocument {
  version: 1;
  frontierOffset: number;
  deliveredRanges: Array<[number, number]>;
}

/**
 * Which schedule-queue offsets were re-appended to their real topic. In memory: the frontier and
 * the set of delivered offsets above it (which empties as the frontier catches up). Cost: one set
 * entry per message delivered ahead of an earlier-queued one still waiting; the file stores them
 * as ranges, so a run of consecutive deliveries costs one range.
 */
export class ScheduleProgress {
  private frontier = 0;
  private readonly deliveredAbove = new Set<number>();
  private readonly document: PersistedDocument;

  constructor(dir: string, fileSystem: StoreFileSystem = nodeFileSystem) {
    this.document = new PersistedDocument(path.join(dir, SCHEDULE_PROGRESS_FILE), fileSystem);
  }

  get file(): string {
    return this.document.file;
  }

  get frontierOffset(): number {
    return this.frontier;
  }

  get dirty(): boolean {
    return this.document.dirty;
  }

  /** Loads the file (missing: nothing delivered yet); throws ScheduleStateCorruptError if invalid. */
  async load(): Promise<void> {
    const raw = await this.document.read();
    this.deliveredAbove.clear();
    this.frontier = 0;
    if (raw !== undefined) this.apply(parseDocument(this.file, raw));
  }

  isDelivered(offset: number): boolean {
    return offset < this.frontier || this.deliveredAbove.has(offset);
  }

  markDelivered(offset: number): void {
    if (this.isDelivered(offset)) return;
    this.deliveredAbove.add(offset);
    while (this.deliveredAbove.delete(this.frontier)) this.frontier++;
    this.document.markChanged();
  }

  /** Offsets below `minOffset` no longer exist (retention): nothing there can be delivered. */
  advanceTo(minOffset: number): void {
    if (minOffset <= this.frontier) return;
    for (const offset of this.deliveredAbove) if (offset < minOffset) this.deliveredAbove.delete(offset);
    this.frontier = minOffset;
    while (this.deliveredAbove.delete(this.frontier)) this.frontier++;
    this.document.markChanged();
  }

  /**
   * The schedule queue ends at `maxOffset` (the store lost a tail it had acknowledged under
   * ASYNC_FLUSH, or the file belongs to another store): forget deliveries at or above it, so the
   * messages that will take those offsets are not taken as delivered.
   */
  truncateTo(maxOffset: number): void {
    let changed = false;
    for (const offset of this.deliveredAbove) {
      if (offset >= maxOffset) {
        this.deliveredAbove.delete(offset);
        changed = true;
      }
    }
    if (this.frontier > maxOffset) {
      this.frontier = maxOffset;
      changed = true;
    }
    if (changed) this.document.markChanged();
  }

  /** Writes the file if anything changed since the last write; one write at a time. */
  persist(): Promise<boolean> {
    return this.document.persist(() => JSON.stringify(this.toDocument()) + '\n');
  }

  private toDocument(): ScheduleProgressDocument {
    const offsets = [...this.deliveredAbove].sort((a, b) => a - b);
    const deliveredRanges: Array<[number, number]> = [];
    for (const offset of offsets) {
      const last = deliveredRanges[deliveredRanges.length - 1];
      if (last && last[1] === offset) last[1] = offset + 1;
      else deliveredRanges.push([offset, offset + 1]);
    }
    return { version: 1, frontierOffset: this.frontier, deliveredRanges };
  }

  private apply(document: ScheduleProgressDocument): void {
    this.frontier = document.frontierOffset;
    for (const [start, end] of document.deliveredRanges) {
      for (let offset = start; offset < end; offset++) this.deliveredAbove.add(offset);
    }
    while (this.deliveredAbove.delete(this.frontier)) this.frontier++;
  }
}

function parseDocument(file: string, text: string): ScheduleProgressDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ScheduleStateCorruptError(file, `not JSON (${(error as Error).message})`);
  }
  const candidate = document as Partial<ScheduleProgressDocument> | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.version !== 1) {
    throw new ScheduleStateCorruptError(file, 'not a version 1 schedule progress document');
  }
  if (!isOffset(candidate.frontierOffset)) throw new ScheduleStateCorruptError(file, 'frontierOffset is not a non-negative integer');
  if (!Array.isArray(candidate.deliveredRanges)) throw new ScheduleStateCorruptError(file, 'deliveredRanges is not an array');
  let previousEnd = candidate.frontierOffset;
  let total = 0;
  for (const range of candidate.deliveredRanges as unknown[]) {
    const [start, end]: unknown[] = Array.isArray(range) && range.length === 2 ? (range as unknown[]) : [];
    if (!isOffset(start) || !isOffset(end) || start < previousEnd || end <= start) {
      throw new ScheduleStateCorruptError(
        file,
        `deliveredRanges entry ${JSON.stringify(range)} is not a sorted, disjoint [start, end) range above the frontier`,
      );
    }
    total += end - start;
    if (total > MAX_DELIVERED_ABOVE_FRONTIER) throw new ScheduleStateCorruptError(file, `more than ${MAX_DELIVERED_ABOVE_FRONTIER} delivered offsets`);
    previousEnd = end;
  }
  return candidate as ScheduleProgressDocument;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
