import { TopicsApi } from '../topics/topic-config';
import { InFlightDelivery, QueueConsumeState } from './consumer-group-state';
import { ReceiptResult } from './delivery.types';
import { GroupStateTable } from './group-state-table';
import { ReceiptHandle, decodeReceiptHandle, receiptHandleExpiresAtMs } from './receipt-handle';

/** Apache RocketMQ proxy's text for a handle past its invisible time (AbstractProcessor). */
export const EXPIRED_RECEIPT_HANDLE = 'receipt handle is expired';
/** A well-formed handle that no longer names the message's current delivery. */
export const STALE_RECEIPT_HANDLE =
  'receipt handle is no longer valid: the message was acknowledged, moved to the dead-letter queue, or given a newer receipt handle';

/** The current delivery a receipt handle names. */
export interface FoundDelivery {
  status: 'found';
  handle: ReceiptHandle;
  state: QueueConsumeState;
  delivery: InFlightDelivery;
}

/**
 * Resolves a receipt handle to the in-flight delivery it names, in the proxy's order: a handle
 * that does not decode is malformed; one whose invisible time has passed is expired (the proxy
 * refuses these before asking the broker, ConsumerProcessor.validateReceiptHandle); an unknown
 * topic is topic-not-found; a handle that is not the message's current delivery (acknowledged,
 * dead-lettered, superseded by change-invisible-duration or a redelivery) is stale. All but
 * topic-not-found answer `invalid-receipt-handle` (Code.INVALID_RECEIPT_HANDLE).
 *
 * Apache RocketMQ acknowledges a second ack of the same unexpired handle as OK (the broker only
 * appends another ack record); this broker tracks each delivery exactly, so it tells the client
 * that the handle was already used.
 */
export class ReceiptHandleValidator {
  constructor(
    private readonly table: GroupStateTable,
    private readonly topics: TopicsApi,
    private readonly now: () => number,
  ) {}

  find(group: string, topic: string, text: string): FoundDelivery | Exclude<ReceiptResult, { status: 'ok' }> {
    const decoded = decodeReceiptHandle(text);
    if (!decoded.ok) return { status: 'invalid-receipt-handle', reason: decoded.reason };
    const handle = decoded.handle;
    if (handle.topic !== topic) return { status: 'invalid-receipt-handle', reason: `receipt handle belongs to topic ${handle.topic}, not ${topic}` };
    if (receiptHandleExpiresAtMs(handle) <= this.now()) return { status: 'invalid-receipt-handle', reason: EXPIRED_RECEIPT_HANDLE };
    if (!this.topics.get(topic)) return { status: 'topic-not-found' };
    const state = this.table.get(group, topic, handle.queueId);
    const delivery = state?.inFlight.get(handle.queueOffset);
    if (!state || !delivery || delivery.deliveryId !== handle.deliveryId) return { status: 'invalid-receipt-handle', reason: STALE_RECEIPT_HANDLE };
    return { status: 'found', handle, state, delivery };
  }
}
