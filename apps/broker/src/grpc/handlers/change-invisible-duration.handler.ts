import { ChangeInvisibleDurationRequest, ChangeInvisibleDurationResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { durationToMs } from '../proto-time';
import { RequestContext } from '../request-context';
import { validGroup, validTopic } from '../request-validator';
import { OK_STATUS, receiptStatus, status, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * ChangeInvisibleDuration: makes a received message visible again after the given duration
 * (0 = now; consumers use it to negatively acknowledge) and answers with the new receipt handle,
 * which replaces the old one (ChangeInvisibleDurationActivity).
 */
export class ChangeInvisibleDurationHandler implements UnaryHandler<ChangeInvisibleDurationRequest, ChangeInvisibleDurationResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: ChangeInvisibleDurationRequest, _context: RequestContext): Promise<ChangeInvisibleDurationResponse> {
    const topic = validTopic(request.topic);
    if ('status' in topic) return this.failure(topic.status);
    const group = validGroup(request.group);
    if ('status' in group) return this.failure(group.status);
    const durationMs = durationToMs(request.invisibleDuration);
    if (durationMs === undefined) return this.failure(status('ILLEGAL_INVISIBLE_TIME', 'invisible duration is required'));
    if (durationMs < 0) return this.failure(status('ILLEGAL_INVISIBLE_TIME', 'the invisibleTime is too small. min is 0'));
    const receiptHandle = request.receiptHandle ?? '';
    if (receiptHandle === '') return this.failure(Statuses.invalidReceiptHandle('receipt handle cannot be empty'));
    const result = await this.parts.delivery.changeInvisibleDuration(group.name, topic.name, receiptHandle, durationMs);
    if (result.status !== 'ok') return this.failure(receiptStatus(result, topic.name));
    return { status: OK_STATUS, receiptHandle: result.receiptHandle ?? receiptHandle };
  }

  failure(status: Status): ChangeInvisibleDurationResponse {
    return { status };
  }
}
