import { TransactionResolution, TransactionSource } from '../../transaction/transaction.types';
import { EndTransactionRequest, EndTransactionResponse, Status } from '../messaging.types';
import { MessagingParts } from '../messaging-parts';
import { RequestContext } from '../request-context';
import { containsControlCharacter, validTopic } from '../request-validator';
import { endTransactionStatus, OK_STATUS, status, Statuses } from '../status-codes';
import { UnaryHandler } from './handler.types';

/**
 * EndTransaction: a producer commits or rolls back the half message it sent, after its local
 * transaction (source SOURCE_CLIENT) or when a check-back asked it (SOURCE_SERVER_CHECK)
 * (EndTransactionActivity). The transaction id is the one SendMessage answered; the topic and
 * message id must be the half message's.
 *
 * Resolutions are final (transaction.types.ts): the same one again is OK and delivers nothing a
 * second time; the opposite one is refused. A resolution that is neither COMMIT nor ROLLBACK (a
 * checker that does not know yet) changes nothing and is answered OK, so the check-back simply
 * comes again. status-codes.ts says which code answers what.
 */
export class EndTransactionHandler implements UnaryHandler<EndTransactionRequest, EndTransactionResponse> {
  constructor(private readonly parts: MessagingParts) {}

  async handle(request: EndTransactionRequest, context: RequestContext): Promise<EndTransactionResponse> {
    const topic = validTopic(request.topic);
    if ('status' in topic) return this.failure(topic.status);
    const transactionId = request.transactionId ?? '';
    if (transactionId.trim() === '') return this.failure(Statuses.transactionIdEmpty());
    const messageId = request.messageId ?? '';
    if (messageId.trim() === '') return this.failure(status('ILLEGAL_MESSAGE_ID', 'message id cannot be empty'));
    if (containsControlCharacter(messageId)) return this.failure(status('ILLEGAL_MESSAGE_ID', 'message id cannot contain control character'));
    this.parts.sessions.touch(context.clientId);

    const resolution = resolutionOf(request.resolution);
    const source = sourceOf(request.source);
    const fields = { clientId: context.clientId, topic: topic.name, messageId, transactionId, source };
    if (resolution === undefined) {
      context.logger.debug({ ...fields, resolution: request.resolution }, 'end transaction without a decision; nothing changes');
      return { status: OK_STATUS };
    }
    const result = await this.parts.transactions.endTransaction({ topic: topic.name, messageId, transactionId, resolution, source });
    if (result.status !== 'ok') context.logger.info({ ...fields, resolution, result }, 'end transaction refused');
    return { status: endTransactionStatus(result) };
  }

  failure(status: Status): EndTransactionResponse {
    return { status };
  }
}

function resolutionOf(resolution: EndTransactionRequest['resolution']): TransactionResolution | undefined {
  if (resolution === 'COMMIT') return 'COMMIT';
  if (resolution === 'ROLLBACK') return 'ROLLBACK';
  return undefined;
}

/** Anything but SOURCE_SERVER_CHECK counts as the client's own decision, as in the proxy. */
function sourceOf(source: EndTransactionRequest['source']): TransactionSource {
  return source === 'SOURCE_SERVER_CHECK' ? 'server-check' : 'client';
}
