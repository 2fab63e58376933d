import { Controller, Get } from '@nestjs/common';

/** Body of `GET /health`. */
export interface HealthResponse {
  status: 'ok';
  service: 'order-service';
}

/** Liveness only for now; readiness (database, broker) joins when the service gets them. */
@Controller('health')
export class HealthController {
  @Get()
  check(): HealthResponse {
    return { status: 'ok', service: 'order-service' };
  }
}
