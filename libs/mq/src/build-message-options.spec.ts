import { buildMessageOptions } from './build-message-options';
import { CONTENT_TYPE_PROPERTY, JsonSerializer } from './json.serializer';
import { MqEncodedBody } from './mq-encoded-body';

describe('buildMessageOptions', () => {
  const serializer = new JsonSerializer();

  it('maps send options onto the client message options', () => {
    const deliverAt = new Date(Date.now() + 60_000);
    const message = buildMessageOptions('orders', { id: 1 }, { tag: 'created', keys: ['k'], deliverAt, properties: { a: '1' } }, serializer);
    expect(message).toMatchObject({ topic: 'orders', tag: 'created', keys: ['k'], deliveryTimestamp: deliverAt });
    expect(message.body.toString()).toBe('{"id":1}');
    expect(Object.fromEntries(message.properties!)).toEqual({ a: '1', [CONTENT_TYPE_PROPERTY]: 'application/json' });
    const delayed = buildMessageOptions('orders', 'x', { delayMs: 1_000 }, serializer);
    expect(delayed.deliveryTimestamp!.getTime()).toBeGreaterThan(Date.now() + 900);
    expect(buildMessageOptions('fifo', 'x', { messageGroup: 'g' }, serializer).messageGroup).toBe('g');
  });

  it('sends an already-encoded body as is, with the content type it names, without the serializer', () => {
    const body = Buffer.from('{"id":2}');
    const refusing = {
      serialize: () => {
        throw new Error('must not serialize');
      },
      deserialize: () => undefined,
    };
    const message = buildMessageOptions('orders', new MqEncodedBody(body, 'application/json'), { properties: { a: '1' } }, refusing);
    expect(message.body).toBe(body);
    expect(Object.fromEntries(message.properties!)).toEqual({ a: '1', [CONTENT_TYPE_PROPERTY]: 'application/json' });
    expect(buildMessageOptions('orders', new MqEncodedBody(body), {}, refusing).properties).toBeUndefined();
  });

  it.each([
    ['both deliverAt and delayMs', { deliverAt: new Date(), delayMs: 1 }, false],
    ['a negative delay', { delayMs: -1 }, false],
    ['an invalid date', { deliverAt: new Date(Number.NaN) }, false],
    ['a group and a delay', { messageGroup: 'g', delayMs: 5 }, false],
    ['an empty key', { keys: [''] }, false],
    ['a group on a half message', { messageGroup: 'g' }, true],
    ['a delay on a half message', { delayMs: 5 }, true],
  ])('refuses %s with MQ_ERR_INVALID_OPTIONS', (_what, options, transactional) => {
    expect(() => buildMessageOptions('orders', {}, options, serializer, transactional)).toThrow(
      expect.objectContaining({ code: 'MQ_ERR_INVALID_OPTIONS', context: { topic: 'orders' } }),
    );
  });
});
