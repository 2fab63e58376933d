import { Controller, Get, Inject, Req } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BROKER_CONFIG } from '../broker.tokens';
import { BrokerConfig } from '../config/broker-config';
import type { ClusterResponse } from '@app/admin-client';

/** The part of Express's request used here (@types/express is not a dependency). */
interface LocalSocketRequest {
  socket: { localPort?: number };
}

/** This broker as one master of one cluster (mqadmin clusterList). */
@Controller('cluster')
export class ClusterController {
  private readonly version = readBrokerVersion();

  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  @Get()
  describe(@Req() request: LocalSocketRequest): ClusterResponse {
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    const adminPort = request.socket.localPort ?? this.config.httpPort;
    return {
      clusterName: this.config.clusterName,
      brokerName: this.config.brokerName,
      brokerId: 0,
      version: this.version,
      addresses: { grpc: `${host}:${this.config.grpcPort}`, admin: `${host}:${adminPort}` },
    };
  }
}

/**
 * The `version` of the repository's package.json, found by walking up from this file (the
 * layout differs between ts-node and `nest build` output), else from the working directory (a
 * transpiled copy in a temporary folder, as the demo and the benchmarks run the broker); read
 * once per controller.
 */
export function readBrokerVersion(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown };
        if (typeof pkg.version === 'string') return pkg.version;
      } catch {
        // No package.json here; keep walking up.
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return 'unknown';
}
