/**
 * Operating errors of the delivery engine that cross its boundary (STYLE 10); the hot path
 * returns status values instead (delivery.types.ts). Codes are listed in docs/errors.md:
 * - `BROKER_ERR_DELIVERY_STATE_CORRUPT`: `delivery-state.json` exists but is not a valid
 *   document. DeliveryService.open() refuses rather than forget what every group acknowledged
 *   (which would redeliver it all).
 */
export class DeliveryStateCorruptError extends Error {
  readonly code = 'BROKER_ERR_DELIVERY_STATE_CORRUPT';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(
      `Delivery state file ${file} cannot be read: ${reason}. It was left as it is; ` +
        'restore it from a backup, or remove it to have every consumer group start again from the oldest retained message.',
    );
    this.name = 'DeliveryStateCorruptError';
  }
}
