import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { MqHealthIndicator } from '@app/mq';

/** Body of `GET /health`: Terminus's result plus the service name. */
export type HealthResponse = HealthCheckResult & { service: 'order-service' };

/** `GET /health`: 200 when PostgreSQL answers and the broker is reachable with producer and consumers running, else 503. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly mq: MqHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  async check(): Promise<HealthResponse> {
    const result = await this.health.check([() => this.database.pingCheck('database', { timeout: 1_000 }), () => this.mq.isHealthy('mq')]);
    return { ...result, service: 'order-service' };
  }
}
