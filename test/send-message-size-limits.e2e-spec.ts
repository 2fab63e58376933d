import { randomUUID } from 'node:crypto';
import { BadRequestException, Producer, RequestHeaderFieldsTooLargeException } from 'rocketmq-client-nodejs';
import { Message, SendMessageResponse, SystemProperties } from '../apps/broker/src/grpc/messaging.types';
import { startTestBroker, TestBroker } from './support/broker-harness';
import { RawMessagingClient } from './support/raw-messaging-client';
import { OfficialClients } from '@app/testkit';

/**
 * Issue 15's size limits on SendMessage, at Apache RocketMQ's proxy defaults (ProxyConfig,
 * SendMessageActivity): at most 128 user properties (`userPropertyMaxNum`); at most 16 KiB of
 * user property names and values, tag and keys together, counted in UTF-8 bytes
 * (`maxUserPropertySize`, the proxy's only bound on tags and keys); a message group shorter than
 * 64 bytes (`maxMessageGroupSize`); a body of at most `maxMessageSizeBytes`. A send at each
 * limit is stored; one byte or property over is refused with the proxy's code and text, and
 * nothing of it reaches the store.
 */

const MAX_USER_PROPERTIES = 128;
const MAX_USER_PROPERTY_BYTES = 16 * 1024;
const MAX_MESSAGE_GROUP_BYTES = 64;
const MAX_BODY_BYTES = 1024;

const TOO_MANY_PROPERTIES = `too many user properties, max is ${MAX_USER_PROPERTIES}`;
const PROPERTIES_TOO_LARGE = `the total size of user property is too large, max is ${MAX_USER_PROPERTY_BYTES}`;

/** `count` user properties `p0` .. `p<count-1>`. */
function manyProperties(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, 'v']));
}

/**
 * A tag, keys and one user property whose UTF-8 bytes add up to `totalBytes`, as the proxy counts
 * them: the property's value is mostly `é`, two bytes a character, so bytes, not characters, count.
 */
function propertiesOfSize(
  totalBytes: number,
  tag = 'TagA',
  keys = ['order-1', 'clé'],
): { tag: string; keys: string[]; userProperties: Record<string, string> } {
  const name = 'payload';
  const rest = totalBytes - [tag, ...keys, name].reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  const value = 'é'.repeat(Math.floor(rest / 2)) + (rest % 2 === 1 ? 'x' : '');
  return { tag, keys, userProperties: { [name]: value } };
}

describe('SendMessage size limits (Apache proxy defaults)', () => {
  let broker: TestBroker;
  let raw: RawMessagingClient;
  let clients: OfficialClients;
  let producer: Producer;

  beforeAll(async () => {
    // No trace records, so the commit log grows only by what the sends store.
    broker = await startTestBroker({ maxMessageSizeBytes: MAX_BODY_BYTES, traceTopicEnable: false });
    await broker.broker.topics.upsert({ name: 'limits', readQueueNums: 1, writeQueueNums: 1 });
    await broker.broker.topics.upsert({ name: 'limits-fifo', messageType: 'FIFO', readQueueNums: 1, writeQueueNums: 1 });
    raw = new RawMessagingClient(broker.grpcEndpoint);
    clients = new OfficialClients(broker.grpcEndpoint);
    // One attempt: a refusal is final, and retries would only repeat it.
    producer = await clients.producer({ topics: ['limits'], maxAttempts: 1 });
  });

  afterAll(async () => {
    raw?.close();
    await clients?.shutdownAll();
    await broker?.stop();
  });

  function message(topic: string, system: Partial<SystemProperties> = {}, extra: Partial<Message> = {}): Message {
    return {
      topic: { name: topic },
      body: Buffer.from(`body of ${topic}`),
      systemProperties: { messageId: randomUUID(), queueId: 0, messageType: topic === 'limits-fifo' ? 'FIFO' : 'NORMAL', bodyEncoding: 'IDENTITY', ...system },
      ...extra,
    };
  }

  function sized(totalBytes: number, tag?: string, keys?: string[]): Message {
    const { userProperties, ...system } = propertiesOfSize(totalBytes, tag, keys);
    return message('limits', system, { userProperties });
  }

  const send = (sent: Message) => raw.unary<SendMessageResponse>('SendMessage', { messages: [sent] });
  const commitLogEnd = () => broker.broker.store.getCommitLogBounds().maxOffset;

  it.each<[string, () => Message, string, string]>([
    [
      `${MAX_USER_PROPERTIES + 1} user properties`,
      () => message('limits', {}, { userProperties: manyProperties(MAX_USER_PROPERTIES + 1) }),
      'MESSAGE_PROPERTIES_TOO_LARGE',
      TOO_MANY_PROPERTIES,
    ],
    [
      'properties, tag and keys one byte over, the byte in a property value',
      () => sized(MAX_USER_PROPERTY_BYTES + 1),
      'MESSAGE_PROPERTIES_TOO_LARGE',
      PROPERTIES_TOO_LARGE,
    ],
    [
      'properties, tag and keys one byte over, the byte in the tag',
      () => sized(MAX_USER_PROPERTY_BYTES + 1, 'TagAB'),
      'MESSAGE_PROPERTIES_TOO_LARGE',
      PROPERTIES_TOO_LARGE,
    ],
    [
      'properties, tag and keys one byte over, the byte in a key',
      () => sized(MAX_USER_PROPERTY_BYTES + 1, 'TagA', ['order-1', 'clé', 'k']),
      'MESSAGE_PROPERTIES_TOO_LARGE',
      PROPERTIES_TOO_LARGE,
    ],
    [
      'a message group of 64 ASCII bytes',
      () => message('limits-fifo', { messageGroup: 'g'.repeat(MAX_MESSAGE_GROUP_BYTES) }),
      'ILLEGAL_MESSAGE_GROUP',
      'message group exceed the max size 64',
    ],
    [
      'a message group of 32 two-byte characters',
      () => message('limits-fifo', { messageGroup: 'é'.repeat(MAX_MESSAGE_GROUP_BYTES / 2) }),
      'ILLEGAL_MESSAGE_GROUP',
      'message group exceed the max size 64',
    ],
    [
      `a body of ${MAX_BODY_BYTES + 1} bytes`,
      () => message('limits', {}, { body: Buffer.alloc(MAX_BODY_BYTES + 1, 1) }),
      'MESSAGE_BODY_TOO_LARGE',
      `message body cannot exceed the max ${MAX_BODY_BYTES}`,
    ],
  ])('refuses %s, and stores nothing', async (_what, build, code, text) => {
    const sent = build();
    const before = commitLogEnd();
    const response = await send(sent);
    expect(response.status).toEqual({ code, message: text });
    // No entry, no message id: nothing was accepted.
    expect(response.entries ?? []).toEqual([]);
    expect(await broker.broker.store.queryByMessageId(sent.systemProperties!.messageId!)).toEqual([]);
    expect(commitLogEnd()).toBe(before);
  });

  it.each<[string, () => Message]>([
    [`${MAX_USER_PROPERTIES} user properties`, () => message('limits', {}, { userProperties: manyProperties(MAX_USER_PROPERTIES) })],
    [`properties, tag and keys of exactly ${MAX_USER_PROPERTY_BYTES} bytes`, () => sized(MAX_USER_PROPERTY_BYTES)],
    ['a message group of 63 bytes', () => message('limits-fifo', { messageGroup: 'g'.repeat(MAX_MESSAGE_GROUP_BYTES - 1) })],
    [`a body of exactly ${MAX_BODY_BYTES} bytes`, () => message('limits', {}, { body: Buffer.alloc(MAX_BODY_BYTES, 1) })],
  ])('stores a message at the limit: %s', async (_what, build) => {
    const sent = build();
    const before = commitLogEnd();
    const response = await send(sent);
    expect(response.status).toEqual({ code: 'OK', message: 'OK' });
    // What the refusals above leave unchanged grows by a stored message.
    expect(commitLogEnd()).toBeGreaterThan(before);
    const [stored] = await broker.broker.store.queryByMessageId(sent.systemProperties!.messageId!);
    expect(stored).toMatchObject({ tag: sent.systemProperties!.tag || undefined, properties: expect.objectContaining(sent.userProperties ?? {}) });
    expect(stored.keys).toEqual(sent.systemProperties!.keys ?? []);
    expect(stored.body).toEqual(sent.body);
  });

  it("reaches the official client as Apache's codes: 43101 for properties, 40006 for the message group; at the limit it sends", async () => {
    const tooMany = await producer
      .send({ topic: 'limits', properties: new Map(Object.entries(manyProperties(MAX_USER_PROPERTIES + 1))), body: Buffer.from('x') })
      .catch((error: unknown) => error);
    expect(tooMany).toBeInstanceOf(RequestHeaderFieldsTooLargeException);
    expect(tooMany).toMatchObject({ code: 43101, message: expect.stringContaining(`response-code=43101] ${TOO_MANY_PROPERTIES}`) });

    const over = propertiesOfSize(MAX_USER_PROPERTY_BYTES + 1);
    const before = commitLogEnd();
    const tooLarge = await producer
      .send({ topic: 'limits', tag: over.tag, keys: over.keys, properties: new Map(Object.entries(over.userProperties)), body: Buffer.from('x') })
      .catch((error: unknown) => error);
    expect(tooLarge).toBeInstanceOf(RequestHeaderFieldsTooLargeException);
    expect(tooLarge).toMatchObject({ code: 43101, message: expect.stringContaining(`response-code=43101] ${PROPERTIES_TOO_LARGE}`) });
    expect(commitLogEnd()).toBe(before);

    const fifo = await clients.producer({ topics: ['limits-fifo'], maxAttempts: 1 });
    const longGroup = await fifo
      .send({ topic: 'limits-fifo', messageGroup: 'g'.repeat(MAX_MESSAGE_GROUP_BYTES), body: Buffer.from('x') })
      .catch((error: unknown) => error);
    expect(longGroup).toBeInstanceOf(BadRequestException);
    expect(longGroup).toMatchObject({ code: 40006, message: expect.stringContaining('response-code=40006] message group exceed the max size 64') });

    const atLimit = propertiesOfSize(MAX_USER_PROPERTY_BYTES);
    const receipt = await producer.send({
      topic: 'limits',
      tag: atLimit.tag,
      keys: atLimit.keys,
      properties: new Map(Object.entries(atLimit.userProperties)),
      body: Buffer.from('x'),
    });
    const [stored] = await broker.broker.store.queryByMessageId(receipt.messageId);
    expect(stored).toMatchObject({ tag: atLimit.tag, keys: atLimit.keys, properties: expect.objectContaining(atLimit.userProperties) });
  });
});
