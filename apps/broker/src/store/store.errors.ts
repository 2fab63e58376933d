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
