import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { CreateOrderDto } from './create-order.dto';
import { toOrderView, type OrderView } from './order.entity';
import { OrdersService } from './orders.service';

/** `POST /orders`, `GET /orders/:id`, `GET /orders`. */
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  async create(@Body() body: CreateOrderDto): Promise<OrderView> {
    return toOrderView(await this.orders.create(body.buyerId, body.amount));
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
