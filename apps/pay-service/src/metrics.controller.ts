import { Controller, Get, StreamableFile } from '@nestjs/common';
import { Registry } from 'prom-client';

/**
 * `GET /metrics`: the service's Prometheus metrics in the text format: libs/mq's (sends, consumes,
 * check-back answers), libs/outbox's (relay backlog, duplicates skipped, local transactions,
 * notifications) and Node's defaults, all on the one registry AppModule creates. Sent as a
 * StreamableFile so Express keeps prom-client's Content-Type exactly (the broker does the same).
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  async metrics(): Promise<StreamableFile> {
    const text = Buffer.from(await this.registry.metrics(), 'utf8');
    return new StreamableFile(text, { type: this.registry.contentType, length: text.length });
  }
}
