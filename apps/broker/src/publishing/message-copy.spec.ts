import { MessageInput, RecordType, StoredMessage } from '../store/message-record';
import { storedFields } from '../store/message-store.test-support';
import { copyMessage, CopyOriginProperty } from './message-copy';

/** A stored half message that has been through a dead-letter queue and the schedule before: every field the copy looks at is set. */
function stored(): StoredMessage {
  const input = { topic: '%DLQ%billing', queueId: 0, messageId: 'm-1', bornTimestampMs: 1_000, body: Buffer.from('body of m-1') };
  return {
    ...storedFields(input, { offset: 4_096, size: 321, queueOffset: 7, storeTimestampMs: 2_000 }, 7),
    type: RecordType.Prepared,
    tag: 'paid',
    keys: ['order-1', 'order 2'],
    messageGroup: 'order-1',
    deliveryTimestampMs: 3_000,
    properties: {
      color: 'red',
      TRAN_MSG: 'true',
      [CopyOriginProperty.RealTopic]: 'orders',
      [CopyOriginProperty.RealQueueId]: '3',
      [CopyOriginProperty.DlqOriginTopic]: 'orders',
      [CopyOriginProperty.DlqOriginMessageId]: 'm-1',
      [CopyOriginProperty.RetryTopic]: 'orders',
      [CopyOriginProperty.ReconsumeTimes]: '16',
    },
    preparedOffset: 1_024,
    preparedSize: 99,
  };
}

describe('copyMessage', () => {
  it("keeps the message's id, born time, tag, keys, message group, body and own properties", () => {
    const source = stored();
    const copy = copyMessage(source, { topic: 'orders', queueId: 5 });
    expect(copy).toEqual<MessageInput>({
      type: RecordType.Normal,
      topic: 'orders',
      queueId: 5,
      messageId: 'm-1',
      bornTimestampMs: 1_000,
      tag: 'paid',
      keys: ['order-1', 'order 2'],
      messageGroup: 'order-1',
      properties: { color: 'red', TRAN_MSG: 'true' },
      body: source.body,
    });
  });

  it("resets what belonged to the record it was read from: type, delivery time, prepared offset and an earlier copy's origin", () => {
    const copy = copyMessage(stored(), { topic: 'orders', queueId: 0 });
    expect(copy.type).toBe(RecordType.Normal);
    expect(copy).not.toHaveProperty('deliveryTimestampMs');
    expect(copy).not.toHaveProperty('preparedOffset');
    expect(copy).not.toHaveProperty('preparedSize');
    for (const name of Object.values(CopyOriginProperty)) expect(copy.properties).not.toHaveProperty(name);
  });

  it('takes the delivery time and the properties the target names, which win over the carried ones', () => {
    const copy = copyMessage(stored(), {
      topic: 'SCHEDULE_TOPIC_XXXX',
      queueId: 0,
      deliveryTimestampMs: 9_000,
      addedProperties: { [CopyOriginProperty.RealTopic]: 'payments', [CopyOriginProperty.RealQueueId]: '1', color: 'blue' },
    });
    expect(copy.deliveryTimestampMs).toBe(9_000);
    expect(copy.properties).toEqual({ color: 'blue', TRAN_MSG: 'true', [CopyOriginProperty.RealTopic]: 'payments', [CopyOriginProperty.RealQueueId]: '1' });
  });

  it('copies a message not stored yet, and one without optional fields, without inventing any', () => {
    const input: MessageInput = { topic: 'orders', queueId: 2, messageId: 'm-2', bornTimestampMs: 5, body: Buffer.from('x') };
    const copy = copyMessage(input, { topic: 'elsewhere', queueId: 1 });
    expect(copy).toEqual({
      type: RecordType.Normal,
      topic: 'elsewhere',
      queueId: 1,
      messageId: 'm-2',
      bornTimestampMs: 5,
      tag: undefined,
      keys: undefined,
      messageGroup: undefined,
      properties: {},
      body: input.body,
    });
    expect(input).toEqual({ topic: 'orders', queueId: 2, messageId: 'm-2', bornTimestampMs: 5, body: Buffer.from('x') });
  });
});
