/**
 * Operating errors of the store that cross its boundary (STYLE 10). Each has a stable `code`
 * listed in docs/errors.md.
 */
export class StoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A record before the log's tail failed its checks. The broker refuses to start rather than
 * drop acknowledged messages silently; `--repair` truncates there instead.
 */
export class StoreCorruptionError extends StoreError {
  constructor(
    readonly file: string,
    readonly fileOffset: number,
    readonly reason: string,
  ) {
    super(
      'STORE_ERR_CORRUPT_RECORD',
      `Corrupt record in ${file} at file offset ${fileOffset}: ${reason}. ` +
        'The store refuses to start so no acknowledged message is dropped silently; ' +
        'restore the file, or start with --repair to truncate the log at this offset.',
    );
  }
}

/** The store directory is unusable (locked by another process, bad checkpoint, ...). */
export class StoreOpenError extends StoreError {
  constructor(reason: string) {
    super('STORE_ERR_OPEN', reason);
  }
}

/**
 * A store file (a state or configuration file, such as topics.json) could not be written or
 * synced: the disk or quota is full (`diskFull`), or an I/O error. Nothing changed: the old file
 * is still in place, and the caller's in-memory state was left as it was. Retrying once space is
 * freed succeeds. The admin API answers 503 with this message.
 */
export class StoreWriteError extends StoreError {
  constructor(
    readonly file: string,
    readonly diskFull: boolean,
    readonly reason: string,
  ) {
    super(
      'STORE_ERR_WRITE_FAILED',
      diskFull ? `the broker's disk is full: cannot write ${file} (${reason}); retry once space is freed` : `cannot write ${file}: ${reason}; retry later`,
    );
  }
}
