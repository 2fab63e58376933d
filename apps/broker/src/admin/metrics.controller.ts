import { Controller, Get, Inject, StreamableFile } from '@nestjs/common';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../broker.tokens';
import { required } from './admin-request';

/**
 * `GET /metrics`: the broker's metrics in the Prometheus text format (version 0.0.4), for a
 * Prometheus scrape job pointed at the admin port. Every part registers in this registry: messages
 * in, out, acknowledged and dead-lettered (trace/message-counters.ts), consumer lag and in-flight
 * messages (delivery/delivery-metrics.ts), the store's latencies and dispatch backlog
 * (store/store-metrics.ts), transactions, the trace and authentication; docs/architecture.md,
 * "Metrics", lists them all.
 *
 * The text goes out as a StreamableFile rather than a string: Express rewrites the Content-Type of
 * a string answer (moving `charset` before `version`), and the exposition format's media type is
 * kept exactly as prom-client states it.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry | undefined) {}

  @Get()
  async metrics(): Promise<StreamableFile> {
    const registry = required(this.registry, 'metrics registry');
    const text = Buffer.from(await registry.metrics(), 'utf8');
    return new StreamableFile(text, { type: registry.contentType, length: text.length });
  }
}
