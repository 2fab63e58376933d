import { Module } from '@nestjs/common';
import { OrderTimeoutConsumer } from './order-timeout.consumer';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

/** Orders: the HTTP API, creation with `order-created`, the timeout that closes with `order-closed`. */
@Module({
  controllers: [OrdersController],
  providers: [OrdersService, OrderTimeoutConsumer],
  exports: [OrdersService],
})
export class OrdersModule {}
