import { broadcastGroup, resolveConsumerOptions } from './mq-consumer.options';

describe('consumer options', () => {
  it('reads a broadcast consumer through a group of its instance', () => {
    const options = resolveConsumerOptions({ topic: 'news', group: 'cache', broadcast: true }, 'test', 'node-1');
    expect(options).toMatchObject({ topic: 'news', group: 'cache-node-1', broadcast: true });
    expect(resolveConsumerOptions({ topic: 'news', group: 'cache' }, 'test', 'node-1')).toMatchObject({ group: 'cache', broadcast: false });
  });

  it("replaces what a group name may not hold (a host name's dots) and refuses a name past the 120 characters Apache's proxy takes", () => {
    expect(broadcastGroup('cache', 'web-1.eu.example.com')).toBe('cache-web-1_eu_example_com');
    expect(() => broadcastGroup('cache', 'x'.repeat(120))).toThrow(/longer than 120 characters/);
  });

  it('refuses a broadcast consumer without an instance id, and a broadcast flag that is not a boolean', () => {
    expect(() => resolveConsumerOptions({ topic: 'news', group: 'cache', broadcast: true }, '@MqConsumer on A.b', ' ')).toThrow(
      '@MqConsumer on A.b: a broadcast consumer needs consumers.instanceId (MqModule), one per instance',
    );
    expect(() => resolveConsumerOptions({ topic: 'news', group: 'cache', broadcast: 'yes' as unknown as boolean }, 'test', 'n')).toThrow(
      /broadcast must be true or false/,
    );
  });
});
