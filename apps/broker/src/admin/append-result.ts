import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { AppendResult } from '../store/message-store';

/** The records of an append the store accepted; a refusal as the admin API's 400 (bad message) or 503 (store not writable). */
export function assertAppended(result: AppendResult): Extract<AppendResult, { status: 'ok' }>['records'] {
  if (result.status === 'ok') return result.records;
  if (result.status === 'invalid') throw new BadRequestException(`the store refused the message: ${result.reason}`);
  if (result.status === 'message-too-large' || result.status === 'batch-too-large') {
    throw new BadRequestException(`the message is too large for the store (${result.sizeBytes} > ${result.maxBytes} bytes)`);
  }
  throw new ServiceUnavailableException(`the store is not accepting messages (${result.status})`);
}
