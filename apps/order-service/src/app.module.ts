import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** The order-service demo application (see DESIGN.md section 5); later issues add its use cases. */
@Module({
  controllers: [HealthController],
})
export class AppModule {}
