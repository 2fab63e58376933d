import { Global, Module } from '@nestjs/common';
import { FaultInjector } from '@app/faults';
import { ORDER_SERVICE_CONFIG, type OrderServiceConfig } from '../order-service.config';
import { ConsumerBeforeAckInterceptor } from './consumer-before-ack.interceptor';

/**
 * The fault points (global: consumers, the callback controller and OutboxModule's hooks use them).
 * @app/faults' FaultInjector is provided under its own class, built from the configured FAULTS.
 */
@Global()
@Module({
  providers: [
    { provide: FaultInjector, inject: [ORDER_SERVICE_CONFIG], useFactory: (config: OrderServiceConfig) => new FaultInjector(config.faults) },
    ConsumerBeforeAckInterceptor,
  ],
  exports: [FaultInjector, ConsumerBeforeAckInterceptor],
})
export class FaultsModule {}
