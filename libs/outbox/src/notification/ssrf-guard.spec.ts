import { SsrfGuard } from './ssrf-guard';

describe('SsrfGuard', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and reserved addresses unless allowed', () => {
    const guard = new SsrfGuard();
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect([address, guard.isAllowed(address)]).toEqual([address, false]);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect([address, guard.isAllowed(address)]).toEqual([address, true]);
    const allowing = new SsrfGuard(['127.0.0.1', '10.0.0.0/8']);
    expect([allowing.isAllowed('127.0.0.1'), allowing.isAllowed('10.9.9.9'), allowing.isAllowed('127.0.0.2')]).toEqual([true, true, false]);
    expect(() => new SsrfGuard(['localhost'])).toThrow(expect.objectContaining({ code: 'OUTBOX_ERR_NOTIFY_INVALID_OPTIONS' }));
  });
});
