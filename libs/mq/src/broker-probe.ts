import { connect } from 'node:net';
import { Endpoints } from 'rocketmq-client-nodejs';

/**
 * Whether a broker endpoint is there, by TCP connect rather than an RPC: it spends no request and
 * works the same against this broker and an Apache RocketMQ proxy, with or without ACL.
 */

/**
 * True when any of `endpoints` (`host:port[;host:port]`) accepts a TCP connection within
 * `timeoutMs`. The endpoints are parsed by the official client's own Endpoints, so the probe
 * connects to exactly the addresses (and default port) the client dials.
 */
export async function anyEndpointReachable(endpoints: string, timeoutMs: number): Promise<boolean> {
  const { addressesList } = new Endpoints(endpoints);
  const results = await Promise.all(addressesList.map(({ host, port }) => probe(host, port, timeoutMs)));
  return results.some(Boolean);
}

function probe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
