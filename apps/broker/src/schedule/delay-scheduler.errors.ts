/**
 * Operating errors of the delay scheduler that cross its boundary (STYLE 10). Codes are listed
 * in docs/errors.md:
 * - `BROKER_ERR_SCHEDULE_STATE_CORRUPT`: the progress file exists but is not a valid document.
 *   DelayScheduler.open() refuses rather than guess what was delivered (starting over would
 *   deliver every message still in the schedule topic a second time).
 */
export class ScheduleStateCorruptError extends Error {
  readonly code = 'BROKER_ERR_SCHEDULE_STATE_CORRUPT';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(
      `Delay scheduler progress file ${file} cannot be read: ${reason}. It was left as it is; ` +
        'restore it from a backup, or remove it to deliver again every delayed message still in SCHEDULE_TOPIC_XXXX.',
    );
    this.name = 'ScheduleStateCorruptError';
  }
}
