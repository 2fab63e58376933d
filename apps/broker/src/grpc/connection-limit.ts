import { Server } from '@grpc/grpc-js';
import { Logger } from 'pino';
import { grpcHttp2Servers } from './flow-control-window';

/**
 * Bounds the gRPC connections served at once (`maxConnections`): past it, Node's net.Server closes
 * a new connection as soon as it is accepted (its `maxConnections`), before any HTTP/2 or gRPC
 * work, so a flood of connections cannot exhaust the broker's memory or file descriptors; the
 * client sees UNAVAILABLE and retries. Every refusal is logged and passed to `onRefused`.
 * grpc-js has no server option for it, so this sets it on grpc-js's private HTTP/2 servers, as
 * flow-control-window.ts does; without them it warns and returns false (the test notices).
 */
export function applyServerConnectionLimit(server: Server, maxConnections: number, logger: Logger, onRefused: () => void): boolean {
  const http2Servers = grpcHttp2Servers(server);
  if (!http2Servers) {
    logger.warn({ maxConnections }, "grpc-js's HTTP/2 servers are not reachable; gRPC connections are not bounded");
    return false;
  }
  for (const http2Server of http2Servers.keys()) {
    http2Server.maxConnections = maxConnections;
    http2Server.on('drop', (dropped?: { remoteAddress?: string; remotePort?: number }) => {
      onRefused();
      logger.warn(
        { remoteAddress: dropped?.remoteAddress, remotePort: dropped?.remotePort, maxConnections },
        'gRPC connection refused: maxConnections are open',
      );
    });
  }
  return true;
}
