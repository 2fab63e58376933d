import { Logger } from 'pino';

/** The store's disk-space ceilings, in percent of the partition, with Apache RocketMQ's names. */
export interface DiskUsageLimits {
  /** Past this, expired segments are deleted at once instead of at the next retention run (Apache: 75). */
  diskMaxUsedSpaceRatio: number;
  /** At or past this, appends are refused before the disk is full (Apache: 90). */
  diskSpaceWarningLevelRatio: number;
  /** Refused appends are accepted again once usage is below this (Apache: 85). */
  diskSpaceCleanForciblyRatio: number;
}

/** A partition's size, its free bytes and those of them available to this process (statfs `blocks`, `bfree`, `bavail`). */
export interface DiskSpace {
  totalBytes: number;
  freeBytes: number;
  availableBytes: number;
}

/** What one check found, and what the store should do. */
export interface DiskUsageCheck {
  /** Percent of the partition in use, as df shows it. */
  usedPercent: number;
  /** Appends must be refused (a ceiling was crossed and usage has not fallen back below the lower one). */
  full: boolean;
  /** Expired segments should be deleted now. */
  cleanNow: boolean;
}

/**
 * Keeps the broker from filling its disk, as Apache RocketMQ's CleanCommitLogService does with
 * the same three ratios: past `diskMaxUsedSpaceRatio` expired segments go at once; at
 * `diskSpaceWarningLevelRatio` appends are refused (senders get the disk-full status, reads go
 * on) until usage falls below `diskSpaceCleanForciblyRatio`, the gap keeping it from flapping.
 *
 * Unlike Apache, which past `diskSpaceCleanForciblyRatio` also deletes segments that have not
 * expired, this broker never deletes unexpired messages to make room: a consumer that has not
 * read them would lose them without a trace, and a committed transactional message would
 * vanish. It refuses writes instead, and an operator frees space or shortens `fileReservedTime`.
 */
export class DiskUsageGuard {
  private refusing = false;
  private lastUsedPercent = 0;

  private readonly limits: DiskUsageLimits;

  constructor(
    limits: DiskUsageLimits,
    private readonly logger: Logger,
  ) {
    const { diskMaxUsedSpaceRatio, diskSpaceWarningLevelRatio, diskSpaceCleanForciblyRatio } = limits;
    this.limits = { diskMaxUsedSpaceRatio, diskSpaceWarningLevelRatio, diskSpaceCleanForciblyRatio };
    checkDiskUsageLimits(this.limits);
  }

  /** Appends are refused now. */
  get full(): boolean {
    return this.refusing;
  }

  /** Why appends are refused, for senders. */
  get reason(): string {
    return `disk usage ${this.lastUsedPercent.toFixed(1)}% reached diskSpaceWarningLevelRatio ${this.limits.diskSpaceWarningLevelRatio}%; writes resume below ${this.limits.diskSpaceCleanForciblyRatio}%`;
  }

  /** Takes a new reading of the partition and updates the state; logs each change once. */
  update(space: DiskSpace): DiskUsageCheck {
    // As df's Use% and Apache's UtilAll.getDiskPartitionSpaceUsedPercent: blocks reserved for root count neither way.
    const usedBytes = space.totalBytes - space.freeBytes;
    const usedPercent = usedBytes + space.availableBytes > 0 ? (100 * usedBytes) / (usedBytes + space.availableBytes) : 0;
    this.lastUsedPercent = usedPercent;
    if (!this.refusing && usedPercent >= this.limits.diskSpaceWarningLevelRatio) {
      this.refusing = true;
      this.logger.error({ usedPercent, ...this.limits }, 'disk usage reached diskSpaceWarningLevelRatio: appends are refused until space is freed');
    } else if (this.refusing && usedPercent < this.limits.diskSpaceCleanForciblyRatio) {
      this.refusing = false;
      this.logger.info({ usedPercent, ...this.limits }, 'disk usage fell below diskSpaceCleanForciblyRatio: appends are accepted again');
    }
    return { usedPercent, full: this.refusing, cleanNow: usedPercent >= this.limits.diskMaxUsedSpaceRatio };
  }
}

/** Throws on limits that cannot work together (a programmer or config error, caught at start). */
export function checkDiskUsageLimits(limits: DiskUsageLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0 || value > 100) throw new Error(`${name} must be a percentage in (0, 100], got ${value}`);
  }
  if (limits.diskSpaceCleanForciblyRatio > limits.diskSpaceWarningLevelRatio) {
    throw new Error(
      `diskSpaceCleanForciblyRatio (${limits.diskSpaceCleanForciblyRatio}) must not exceed diskSpaceWarningLevelRatio (${limits.diskSpaceWarningLevelRatio})`,
    );
  }
}
