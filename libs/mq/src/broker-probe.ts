import { connect } from 'node:net';

/**
 * Whether a broker endpoint is there, by TCP connect rather than an RPC: it spends no request and
 * works the same against this broker and an Apache RocketMQ proxy, with or without ACL.
 */

/** True when any of `endpoints` (`host:port[;host:port]`) accepts a TCP connection within `timeoutMs`. */
export async function anyEndpointReachable(endpoints: string, tls: boolean, timeoutMs: number): Promise<boolean> {
  const list = endpoints.split(';').map((endpoint) => endpoint.trim()).filter(Boolean);
  const results = await Promise.all(list.map((endpoint) => probe(endpoint, tls ? 443 : 80, timeoutMs)));
  return results.some(Boolean);
}

function probe(endpoint: string, defaultPort: number, timeoutMs: number): Promise<boolean> {
  const separator = endpoint.lastIndexOf(':');
  const host = separator > 0 ? endpoint.slice(0, separator).replace(/^\[|\]$/g, '') : endpoint;
  const port = separator > 0 ? Number(endpoint.slice(separator + 1)) : defaultPort;
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
