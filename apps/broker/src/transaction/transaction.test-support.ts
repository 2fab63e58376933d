/** Helpers shared by the transaction layer's tests. */
import { MessageInput, StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';
import { EndTransactionRequest, ProducerChannels, SendHalfResult, TransactionApi } from './transaction.types';

/** One check-back a fake producer received. */
export interface SentCheck {
  clientId: string;
  topic: string;
  messageId: string;
  transactionId: string;
  half: StoredMessage;
}

/**
 * ProducerChannels for tests: producers connect to topics and disconnect; a check goes to the
 * topic's producers in turns and is recorded. With no producer of the topic connected, nothing is
 * sent and sendCheck answers undefined (the "no live producer" case).
 */
export class FakeProducerChannels implements ProducerChannels {
  readonly sent: SentCheck[] = [];
  private readonly producers = new Map<string, string[]>();
  private turn = 0;

  connect(topic: string, clientId: string): void {
    const list = this.producers.get(topic) ?? [];
    if (!list.includes(clientId)) list.push(clientId);
    this.producers.set(topic, list);
  }

  disconnect(topic: string, clientId: string): void {
    this.producers.set(
      topic,
      (this.producers.get(topic) ?? []).filter((id) => id !== clientId),
    );
  }

  sendCheck(half: StoredMessage, transactionId: string): string | undefined {
    const list = this.producers.get(half.topic) ?? [];
    if (list.length === 0) return undefined;
    const clientId = list[this.turn++ % list.length];
    this.sent.push({ clientId, topic: half.topic, messageId: half.messageId, transactionId, half });
    return clientId;
  }

  /** Checks sent for one message id. */
  checksFor(messageId: string): SentCheck[] {
    return this.sent.filter((check) => check.messageId === messageId);
  }
}

export const TOPIC = 'payments';
export const QUEUE_ID = 1;
export const PRODUCER_GROUP = 'payments';

/** A half message as the gRPC layer hands it over. */
export function halfInput(messageId: string, extra: Partial<MessageInput> = {}): Omit<MessageInput, 'type'> {
  return {
    topic: TOPIC,
    queueId: QUEUE_ID,
    messageId,
    bornTimestampMs: Date.now() - 5,
    tag: 'Paid',
    keys: ['order-42', 'user 7'],
    properties: { amount: '12.50', currency: 'EUR' },
    body: Buffer.from(`body of ${messageId}`),
    ...extra,
  };
}

/** Sends a half message and returns its transaction id; anything but ok fails the case. */
export async function sendHalf(
  transactions: TransactionApi,
  message: Omit<MessageInput, 'type'>,
  options: { producerGroup?: string; checkImmunityMs?: number } = { producerGroup: PRODUCER_GROUP },
): Promise<Extract<SendHalfResult, { status: 'ok' }>> {
  const result = await transactions.sendHalfMessage(message, options);
  if (result.status !== 'ok') throw new Error(`expected an ok half message, got ${JSON.stringify(result)}`);
  return result;
}

/** The EndTransaction request for a half message. */
export function endRequest(
  message: { topic: string; messageId: string },
  transactionId: string,
  resolution: EndTransactionRequest['resolution'],
  source: EndTransactionRequest['source'] = 'client',
): EndTransactionRequest {
  return { topic: message.topic, messageId: message.messageId, transactionId, resolution, source };
}

/** What consumers of a topic-queue can read, in order. */
export function readAll(store: MessageStore, topic = TOPIC, queueId = QUEUE_ID): Promise<StoredMessage[]> {
  return store.readQueue(topic, queueId, 0, 10_000);
}

/** The fields a consumer sees of a delivered message, in a form toEqual compares quickly. */
export function delivered(message: StoredMessage): Record<string, unknown> {
  return {
    topic: message.topic,
    queueId: message.queueId,
    messageId: message.messageId,
    bornTimestampMs: message.bornTimestampMs,
    tag: message.tag,
    keys: message.keys,
    properties: message.properties,
    body: message.body.toString('base64'),
  };
}

/** What a half message is delivered as once committed: as sent, plus the half message's system properties. */
export function expectedDelivery(message: Omit<MessageInput, 'type'>, producerGroup: string | undefined = PRODUCER_GROUP): Record<string, unknown> {
  return {
    topic: message.topic,
    queueId: message.queueId,
    messageId: message.messageId,
    bornTimestampMs: message.bornTimestampMs,
    tag: message.tag,
    keys: message.keys ?? [],
    properties: { ...message.properties, TRAN_MSG: 'true', ...(producerGroup ? { PGROUP: producerGroup } : {}) },
    body: message.body.toString('base64'),
  };
}
