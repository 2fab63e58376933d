import { Server } from '@grpc/grpc-js';
import { Http2Server, ServerHttp2Session } from 'node:http2';
import { Logger } from 'pino';

/** The part of grpc-js's Server (1.14) this file reaches into: its HTTP/2 servers, by listener. */
interface Http2ServersHolder {
  http2Servers?: Map<Http2Server, { sessions?: Set<ServerHttp2Session> }>;
}

/** grpc-js's HTTP/2 servers (its private `http2Servers` map), or undefined when a grpc-js upgrade moved them. */
export function grpcHttp2Servers(server: Server): Map<Http2Server, { sessions?: Set<ServerHttp2Session> }> | undefined {
  const http2Servers = (server as unknown as Http2ServersHolder).http2Servers;
  return http2Servers instanceof Map && http2Servers.size > 0 ? http2Servers : undefined;
}

/**
 * Gives every HTTP/2 connection of `server` a receive window of `windowBytes`, per stream and for
 * the connection. Call it right after bindAsync, before the first connection is served.
 *
 * Why: grpc-js (1.14.7, the latest) sets the window of its clients (`grpc-node.flow_control_window`)
 * but not of its servers (grpc/grpc-node#3058 is still open), so a server stays at HTTP/2's
 * 64 KiB default. A producer sending batches then waits for a WINDOW_UPDATE from the broker's busy
 * event loop every 64 KiB. Measured with `npm run bench:broker -- --only batch` (three runs each,
 * alternated): batched SendMessage of 32 x 1 KiB, 8 in flight, went from 32-38k to 42-43k msgs/s,
 * and the broker's CPU per message from 17-21 us to 15 us.
 *
 * There is no public hook for it, so this reads grpc-js's private `http2Servers` map. If a grpc-js
 * upgrade changes that, nothing breaks: the window stays at the default, a warning says so, and
 * test/grpc-flow-control.e2e-spec.ts fails.
 */
export function applyServerFlowControlWindow(server: Server, windowBytes: number, logger: Logger): boolean {
  const http2Servers = grpcHttp2Servers(server);
  if (!http2Servers) {
    logger.warn({ windowBytes }, "grpc-js's HTTP/2 servers are not reachable; connections keep the 64 KiB default flow-control window");
    return false;
  }
  const widen = (session: ServerHttp2Session): void => {
    try {
      session.settings({ initialWindowSize: windowBytes });
      session.setLocalWindowSize(windowBytes);
    } catch (error) {
      // A session closing meanwhile refuses new settings; it needs no window any more.
      logger.debug({ err: error }, 'flow-control window not applied to a closing HTTP/2 session');
    }
  };
  for (const [http2Server, entry] of http2Servers) {
    entry.sessions?.forEach(widen);
    http2Server.on('session', widen);
  }
  return true;
}
