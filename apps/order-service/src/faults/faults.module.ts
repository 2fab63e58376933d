import { Global, Module } from '@nestjs/common';
import { ConsumerBeforeAckInterceptor } from './consumer-before-ack.interceptor';
import { FaultInjector } from './fault-injector';

/** The fault points (global: consumers, the callback controller and OutboxModule's hooks use them). */
@Global()
@Module({
  providers: [FaultInjector, ConsumerBeforeAckInterceptor],
  exports: [FaultInjector, ConsumerBeforeAckInterceptor],
})
export class FaultsModule {}
