import { Body, Controller, Get, Param, Post, ServiceUnavailableException } from '@nestjs/common';
import { isRetryableOutboxError } from '@app/outbox';
import { CreateOrderDto } from './create-order.dto';
import { toOrderView, type OrderView } from './order.entity';
import { OrdersService } from './orders.service';

/** `POST /orders`, `GET /orders/:id`, `GET /orders`. */
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  async create(@Body() body: CreateOrderDto): Promise<OrderView> {
    try {
      return toOrderView(await this.orders.create(body.buyerId, body.amount));
    } catch (error) {
      // No order without its order-created message: the transaction rolled back, the client may retry.
      if (isRetryableOutboxError(error)) {
        throw new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', reason: `order not created: ${error.message}` });
      }
      throw error;
    }
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<OrderView> {
    return toOrderView(await this.orders.get(id));
  }

  @Get()
  async list(): Promise<OrderView[]> {
    return (await this.orders.list()).map(toOrderView);
  }
}
