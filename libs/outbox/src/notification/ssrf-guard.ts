import * as dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { OutboxError } from '../outbox.errors';

/**
 * Refuses to connect to addresses a webhook must never reach: an endpoint URL is written by a
 * merchant, and without this guard `http://169.254.169.254/` or `http://10.0.0.5:5432/` would
 * make the sender a proxy into the private network. The check runs on the resolved address at
 * connect time (a `lookup` for the HTTP agent), so a name that resolves to a private address, or
 * re-resolves to one after registration (DNS rebinding), is refused too.
 */
const REFUSED_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const REFUSED_V6: ReadonlyArray<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: reaches IPv4 space through a translator
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

const refused = new BlockList();
for (const [network, prefix] of REFUSED_V4) refused.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of REFUSED_V6) refused.addSubnet(network, prefix, 'ipv6');

/** `::ffff:10.0.0.1` is 10.0.0.1: check the IPv4 address inside an IPv4-mapped IPv6 one. */
function normalize(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], type: 'ipv4' };
  return { address, type: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export class SsrfGuard {
  private readonly allowed = new BlockList();

  /** `allowedAddresses`: addresses or CIDR ranges let through although refused by default. */
  constructor(allowedAddresses: readonly string[] = []) {
    for (const entry of allowedAddresses) {
      const [network, prefix] = entry.split('/');
      const type = isIP(network) === 6 ? 'ipv6' : isIP(network) === 4 ? 'ipv4' : undefined;
      if (!type) throw new OutboxError('OUTBOX_ERR_NOTIFY_INVALID_OPTIONS', `allowedAddresses: ${JSON.stringify(entry)} is not an address or CIDR range`);
      if (prefix === undefined) this.allowed.addAddress(network, type);
      else this.allowed.addSubnet(network, Number(prefix), type);
    }
  }

  isAllowed(rawAddress: string): boolean {
    const { address, type } = normalize(rawAddress);
    if (isIP(address) === 0) return false;
    return this.allowed.check(address, type) || !refused.check(address, type);
  }

  /** Throws OUTBOX_ERR_NOTIFY_ADDRESS_REFUSED for an IP literal host (Node connects to those without a lookup). */
  assertLiteralHost(hostname: string): void {
    const bare = hostname.replace(/^\[|\]$/g, '');
    if (isIP(bare) !== 0 && !this.isAllowed(bare)) throw this.refusal(hostname, bare);
  }

  /** A `lookup` for http(s) agents: resolves as dns.lookup does, then refuses when any address is refused. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const bad = addresses.find((entry) => !this.isAllowed(entry.address));
      if (bad) return callback(this.refusal(hostname, bad.address), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  private refusal(hostname: string, address: string): OutboxError {
    return new OutboxError(
      'OUTBOX_ERR_NOTIFY_ADDRESS_REFUSED',
      `refused to connect to ${hostname} (${address}): loopback, private, link-local or reserved address; allow it with allowedAddresses`,
      { hostname, address },
    );
  }
}
