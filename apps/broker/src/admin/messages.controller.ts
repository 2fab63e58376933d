import { BadRequestException, Controller, Get, Inject, NotFoundException, Optional, Param, Query } from '@nestjs/common';
import { MESSAGE_STORE, TRACE } from '../broker.tokens';
import { MessageStore } from '../store/message-store';
import { timelineOf, timelinesByKey } from '../trace/timeline';
import { TraceRecorder } from '../trace/trace-recorder';
import { toMessageView } from './message-view';
import type { MessageQueryResponse, MessageTimelineResponse, MessageTimelinesByKeyResponse } from '@app/admin-client';

/** Messages by id (mqadmin queryMsgById), and their trace (mqadmin queryMsgTraceById). */
@Controller('messages')
export class MessagesController {
  constructor(
    @Inject(MESSAGE_STORE) private readonly store: MessageStore,
    @Optional() @Inject(TRACE) private readonly trace: TraceRecorder | undefined,
  ) {}

  /**
   * The message's trace, oldest step first, with the time between steps (trace/timeline.ts).
   * 404 when the broker records no trace (traceTopicEnable=false) or none names this id.
   */
  @Get(':messageId/timeline')
  async timeline(@Param('messageId') messageId: string): Promise<MessageTimelineResponse> {
    if (!this.trace) throw new NotFoundException('the broker records no message trace (traceTopicEnable=false)');
    // What was recorded a moment ago is still queued: append it first, so the timeline is current.
    await this.trace.flush();
    const timeline = await timelineOf(this.store, this.trace.topics, messageId);
    if (timeline.steps.length === 0) throw new NotFoundException(`no trace of message ${JSON.stringify(messageId)}`);
    return timeline;
  }

  /**
   * Declared before `:messageId`, which would take `timeline` for an id.
   * `GET /messages/timeline?key=K`: the timelines of the messages sent with business key K (their
   * `keys`), newest first, at most 32. 404 when the trace is off or no message has the key.
   */
  @Get('timeline')
  async timelinesByKey(@Query('key') key: string | undefined): Promise<MessageTimelinesByKeyResponse> {
    if (!this.trace) throw new NotFoundException('the broker records no message trace (traceTopicEnable=false)');
    if (typeof key !== 'string' || key === '') throw new BadRequestException('key is required: GET /messages/timeline?key=<business key>');
    await this.trace.flush();
    const found = await timelinesByKey(this.store, this.trace.topics, key);
    if (found.timelines.length === 0) throw new NotFoundException(`no trace of a message with key ${JSON.stringify(key)}`);
    return found;
  }

  /** Every stored record with this id, oldest first: a retried or resent message has several. */
  @Get(':messageId')
  async byId(@Param('messageId') messageId: string): Promise<MessageQueryResponse> {
    const records = await this.store.queryByMessageId(messageId);
    if (records.length === 0) throw new NotFoundException(`message ${JSON.stringify(messageId)} was not found`);
    records.sort((a, b) => a.offset - b.offset);
    return { messageId, records: records.map(toMessageView) };
  }
}
