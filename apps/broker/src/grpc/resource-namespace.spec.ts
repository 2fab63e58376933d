import { resourceOf } from './resource-namespace';

describe('resourceOf (Apache NamespaceUtil)', () => {
  it('splits a namespace off a stored name, keeping a retry or dead-letter prefix on the name', () => {
    expect(resourceOf('tenant-a%orders')).toEqual({ resourceNamespace: 'tenant-a', name: 'orders' });
    expect(resourceOf('%RETRY%tenant-a%billing')).toEqual({ resourceNamespace: 'tenant-a', name: '%RETRY%billing' });
    expect(resourceOf('%DLQ%tenant-a%billing')).toEqual({ resourceNamespace: 'tenant-a', name: '%DLQ%billing' });
  });

  it('leaves names without a namespace, a leading separator and system topics whole', () => {
    expect(resourceOf('orders')).toEqual({ resourceNamespace: '', name: 'orders' });
    expect(resourceOf('%RETRY%billing')).toEqual({ resourceNamespace: '', name: '%RETRY%billing' });
    expect(resourceOf('%weird')).toEqual({ resourceNamespace: '', name: '%weird' });
    expect(resourceOf('RMQ_SYS_TRANS_HALF_TOPIC')).toEqual({ resourceNamespace: '', name: 'RMQ_SYS_TRANS_HALF_TOPIC' });
    expect(resourceOf('')).toEqual({ resourceNamespace: '', name: '' });
  });
});
