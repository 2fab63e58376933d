import { Logger } from 'pino';

/** errno codes that mean "no room": the disk, or the user's quota, is full. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** Why the store cannot write now. */
export interface WriteFailure {
  /** ENOSPC / EDQUOT: writes can succeed again once space is freed. */
  diskFull: boolean;
  /** One line for logs and for senders: the errno, the operation, the file when known. */
  reason: string;
  sinceMs: number;
}

/** True for the errors of a full disk or quota. */
export function isDiskFull(error: unknown): boolean {
  return DISK_FULL_CODES.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** One line naming the errno and what was being done, e.g. `ENOSPC while appending to the commit log`. */
export function describeWriteError(error: unknown, operation: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code} while ${operation}: ${message}` : `${message} (while ${operation})`;
}

/**
 * Whether the store is refusing writes because a write or sync of one of its files failed (the
 * commit log, a consume queue, an index, the checkpoint). Apache RocketMQ keeps the same state in
 * `RunningFlags` (DISK_FULL_BIT, WRITE_LOGICS_QUEUE_ERROR_BIT, ...): while set, puts answer
 * SERVICE_NOT_AVAILABLE; it clears once the store could write again. The first failure of a
 * streak is logged at error level, the end of the streak at info; repeats are not logged, so a
 * full disk does not also fill the log.
 */
export class StoreWriteFailure {
  private failure: WriteFailure | undefined;

  constructor(private readonly logger: Logger) {}

  /** The failure appends are refused for, or undefined while writes work. */
  get current(): WriteFailure | undefined {
    return this.failure;
  }

  /** Records a failed write; returns the failure appends now report. */
  record(error: unknown, operation: string): WriteFailure {
    if (this.failure) return this.failure;
    this.failure = { diskFull: isDiskFull(error), reason: describeWriteError(error, operation), sinceMs: Date.now() };
    this.logger.error(
      { err: error, diskFull: this.failure.diskFull },
      'a store write failed; appends are refused until the store has rewound its log and synced again (retried every writeRetryIntervalMs)',
    );
    return this.failure;
  }

  /** Writes work again. */
  clear(): void {
    if (!this.failure) return;
    this.logger.info({ failedForMs: Date.now() - this.failure.sinceMs, reason: this.failure.reason }, 'store writes resumed');
    this.failure = undefined;
  }
}
