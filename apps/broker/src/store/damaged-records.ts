import { Logger } from 'pino';

/** Remembered damaged records, so each is logged once and the newest can be shown. */
const MAX_REMEMBERED = 1_000;

/** A commit-log record found failing its checks after it was acknowledged. */
export interface DamagedRecord {
  /** Commit-log offset of the record. */
  offset: number;
  file: string;
  fileOffset: number;
  /** Which check failed (`CRC mismatch (...)`, `bad magic ...`, ...). */
  reason: string;
  /** What found it: a consumer's read, or a scan of the log by a layer rebuilding its state. */
  foundBy: 'read' | 'scan';
}

/**
 * The store's account of damage found in records below the tail, which recovery does not
 * re-verify on every start (only what a crash could have torn). Reads and scans check every
 * record's CRC; one that fails is not served, and rather than disappearing silently it is
 * reported here: logged at error level once per record (with what was reading it), counted for
 * `/health` and `/metrics`, and the newest kept for the admin API.
 */
export class DamagedRecords {
  private readonly remembered = new Map<number, DamagedRecord>();
  private count = 0;

  constructor(private readonly logger: Logger) {}

  /** Damaged records found since the store opened. */
  get total(): number {
    return this.count;
  }

  /** The most recently found damaged records, oldest first (at most 1,000). */
  recent(): DamagedRecord[] {
    return [...this.remembered.values()];
  }

  /** Reports a damaged record; `context` says who was reading it (queue, group, ...). */
  report(record: DamagedRecord, context: Record<string, unknown> = {}): void {
    if (this.remembered.has(record.offset)) return;
    this.count++;
    this.remembered.set(record.offset, record);
    if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as number);
    this.logger.error(
      { ...context, ...record },
      `damaged commit-log record in ${record.file} at file offset ${record.fileOffset} (${record.reason}): it is not served; restore the file from a replica or backup to recover it`,
    );
  }
}
