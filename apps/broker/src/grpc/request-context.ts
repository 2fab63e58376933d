import { Logger } from 'pino';
import type { User } from '../auth/user-registry';

/** Header carrying the client's id (rocketmq-clients docs/transport.md). */
export const CLIENT_ID_HEADER = 'x-mq-client-id';
/** The v2 request signature and the date-time it signs (auth/request-signature.ts). */
export const AUTHORIZATION_HEADER = 'authorization';
export const DATE_TIME_HEADER = 'x-mq-date-time';

/** What a handler knows about the call it serves. */
export interface RequestContext {
  /** The RPC's name, for logs. */
  readonly rpc: string;
  /** `x-mq-client-id`; the server refuses calls without one before a handler runs. */
  readonly clientId: string;
  /** The client's address without port, e.g. `127.0.0.1`. */
  readonly peerHost: string;
  /** The connection's peer, address and port (`127.0.0.1:53412`): one per HTTP/2 connection. */
  readonly peer: string;
  /** The authenticated user, with authentication on (set before the handler runs). */
  principal?: User;
  /**
   * Only on the server-streaming calls, which long-poll (ReceiveMessage, PullMessage): aborted when
   * the client cancels the call or the broker stops serving it. Unary calls never wait and have none.
   */
  readonly signal?: AbortSignal;
  /** True once the client went away (cancelled, deadline passed, connection lost). */
  cancelled(): boolean;
  readonly logger: Logger;
  /** Milliseconds until the call's deadline; Infinity when the client set none. */
  remainingMs(): number;
}

/** The last peer parsed: a connection's calls share one peer string, and this runs for every call. */
let lastPeer: { peer: string; host: string } | undefined;

/**
 * The host part of a peer string (`127.0.0.1:5555`, `[::1]:5555`, `ipv4:...`,
 * `unix:...`), or the string itself when it has no recognizable port.
 */
export function peerHostOf(peer: string): string {
  if (lastPeer?.peer !== peer) lastPeer = { peer, host: parsePeerHost(peer) };
  return lastPeer.host;
}

function parsePeerHost(peer: string): string {
  const withoutScheme = peer.replace(/^(ipv4|ipv6|dns):/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(withoutScheme);
  if (bracketed) return bracketed[1];
  const hostPort = /^([^:]+):\d+$/.exec(withoutScheme);
  return hostPort ? hostPort[1] : withoutScheme;
}

/**
 * The peer as Guava's `HostAndPort` prints it (`127.0.0.1:53412`, `[::1]:53412`): the proxy's
 * remote address (HeaderInterceptor), a sent message's born host when the client names none.
 */
export function peerAddressOf(peer: string): string {
  const withoutScheme = peer.replace(/^(ipv4|ipv6|dns):/, '');
  const hostPort = /^\[?([^\]]*?)\]?:(\d+)$/.exec(withoutScheme);
  if (!hostPort) return withoutScheme;
  const [, host, port] = hostPort;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Milliseconds from now to a deadline (epoch ms, or Infinity). */
export function remainingUntil(deadline: number): number {
  return Number.isFinite(deadline) ? deadline - Date.now() : Infinity;
}
