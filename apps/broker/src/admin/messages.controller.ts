import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { MESSAGE_STORE } from '../broker.tokens';
import { MessageStore } from '../store/message-store';
import { toMessageView } from './message-view';
import type { MessageQueryResponse } from '@app/admin-client';

/** Messages by id (mqadmin queryMsgById). */
@Controller('messages')
export class MessagesController {
  constructor(@Inject(MESSAGE_STORE) private readonly store: MessageStore) {}

  /** Every stored record with this id, oldest first: a retried or resent message has several. */
  @Get(':messageId')
  async byId(@Param('messageId') messageId: string): Promise<MessageQueryResponse> {
    const records = await this.store.queryByMessageId(messageId);
    if (records.length === 0) throw new NotFoundException(`message ${JSON.stringify(messageId)} was not found`);
    records.sort((a, b) => a.offset - b.offset);
    return { messageId, records: records.map(toMessageView) };
  }
}
