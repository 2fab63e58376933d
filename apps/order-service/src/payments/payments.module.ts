import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { PaymentCallbackController } from './payment-callback.controller';
import { PaymentCallbackGuard } from './payment-callback.guard';
import { PaymentReconciliationService } from './payment-reconciliation.service';
import { PaymentSucceededConsumer } from './payment-succeeded.consumer';

/** How orders learn they are paid: the `payment-succeeded` message, pay-service's callback, the reconciliation. */
@Module({
  imports: [OrdersModule],
  controllers: [PaymentCallbackController],
  providers: [PaymentSucceededConsumer, PaymentCallbackGuard, PaymentReconciliationService],
  exports: [PaymentReconciliationService],
})
export class PaymentsModule {}
