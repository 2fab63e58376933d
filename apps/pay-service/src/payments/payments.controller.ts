import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { CreatePaymentDto } from './create-payment.dto';
import { Payment } from './payment.entity';
import { PaymentsService } from './payments.service';

/** `POST /payments {orderId}` pays an order; `GET /payments/:orderId` is the query API order-service reconciles with. */
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  create(@Body() body: CreatePaymentDto): Promise<Payment> {
    return this.payments.pay(body.orderId);
  }

  @Get()
  list(): Promise<Payment[]> {
    return this.payments.list();
  }

  @Get(':orderId')
  get(@Param('orderId') orderId: string): Promise<Payment> {
    return this.payments.get(orderId);
  }
}
