import { StoredMessage } from '../store/message-record';
import { MessageStore } from '../store/message-store';

/**
 * Reads message `queueOffset` of a topic-queue: one consume-queue lookup and one read. Undefined
 * when retention removed it. A committed half message comes back with the queue offset of its
 * commit entry, as MessageStore.readQueue serves it.
 */
export async function readQueueMessage(store: MessageStore, topic: string, queueId: number, queueOffset: number): Promise<StoredMessage | undefined> {
  const [entry] = store.getQueueEntries(topic, queueId, queueOffset, 1);
  if (!entry || entry.queueOffset !== queueOffset) return undefined;
  const message = await store.readMessage(entry.commitLogOffset, entry.size);
  if (message) message.queueOffset = queueOffset;
  return message;
}
