import { Acl, decide, parseResource, PolicyEntry } from './acl';

const entry = (resource: string, actions: PolicyEntry['actions'], decision: PolicyEntry['decision'], sourceIps: string[] = []): PolicyEntry => ({
  resource,
  actions,
  decision,
  sourceIps,
});
const topic = (name: string) => ({ type: 'Topic' as const, name });

describe('ACL decisions', () => {
  it('parses literal, prefixed and any resources', () => {
    expect(parseResource('Topic:orders')).toEqual({ type: 'Topic', pattern: 'literal', name: 'orders' });
    expect(parseResource('group:bill*')).toEqual({ type: 'Group', pattern: 'prefixed', name: 'bill' });
    expect(parseResource('Topic:*')).toEqual({ type: 'Topic', pattern: 'any', name: '' });
    expect(parseResource('*')).toEqual({ type: 'Any', pattern: 'any', name: '' });
    expect(parseResource('Queue:x')).toBeUndefined();
  });

  it('the most specific matching entry decides; on a tie Deny wins; no match is no decision', () => {
    const acl: Acl = {
      subject: 'User:app',
      entries: [
        entry('*', ['All'], 'Deny'),
        entry('Topic:ord*', ['Pub'], 'Allow'),
        entry('Topic:orders-secret', ['Pub'], 'Deny'),
        entry('Topic:orders', ['Sub'], 'Allow'),
      ],
    };
    expect(decide(acl, topic('orders'), ['Pub'], '127.0.0.1')).toBe('Allow');
    expect(decide(acl, topic('orders-secret'), ['Pub'], '127.0.0.1')).toBe('Deny');
    expect(decide(acl, topic('payments'), ['Pub'], '127.0.0.1')).toBe('Deny');
    expect(
      decide({ subject: 'User:app', entries: [entry('Topic:a', ['Pub'], 'Allow'), entry('Topic:a', ['Pub'], 'Deny')] }, topic('a'), ['Pub'], '1.2.3.4'),
    ).toBe('Deny');
    expect(decide({ subject: 'User:app', entries: [entry('Topic:a', ['Sub'], 'Allow')] }, topic('a'), ['Pub'], '1.2.3.4')).toBeUndefined();
  });

  it('an entry matches any of the actions a request needs, or All', () => {
    const acl: Acl = { subject: 'User:app', entries: [entry('Topic:orders', ['Sub'], 'Allow'), entry('Group:g', ['All'], 'Allow')] };
    expect(decide(acl, topic('orders'), ['Pub', 'Sub'], '127.0.0.1')).toBe('Allow');
    expect(decide(acl, { type: 'Group', name: 'g' }, ['Sub'], '127.0.0.1')).toBe('Allow');
  });

  it('source addresses: exact, IPv4 CIDR, IPv4-mapped IPv6; none means any', () => {
    const acl: Acl = { subject: 'User:app', entries: [entry('Topic:orders', ['Pub'], 'Allow', ['10.0.0.0/8', '192.168.1.7'])] };
    expect(decide(acl, topic('orders'), ['Pub'], '10.20.30.40')).toBe('Allow');
    expect(decide(acl, topic('orders'), ['Pub'], '::ffff:192.168.1.7')).toBe('Allow');
    expect(decide(acl, topic('orders'), ['Pub'], '127.0.0.1')).toBeUndefined();
  });
});
