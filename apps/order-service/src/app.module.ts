import { BadRequestException, DynamicModule, Module, ValidationError, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { FaultInjector } from '@app/faults';
import { MqHealthIndicator, MqModule } from '@app/mq';
import { NotificationModule, outboxClsModule, OutboxModule } from '@app/outbox';
import { FaultsModule } from './faults/faults.module';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ORDER_SERVICE_MIGRATIONS } from './migrations/0001-create-orders.migration';
import { ORDER_SERVICE_CONFIG, type OrderServiceConfig } from './order-service.config';
import { Order } from './orders/order.entity';
import { OrdersModule } from './orders/orders.module';
import { PaymentsModule } from './payments/payments.module';

/** 400 with `reason` (every failed constraint, joined) besides Nest's usual `message` list. */
function validationFailed(errors: ValidationError[]): BadRequestException {
  const messages = errors.flatMap((error) => Object.values(error.constraints ?? { [error.property]: `${error.property} is invalid` }));
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', reason: messages.join('; '), message: messages });
}

/**
 * The order-service demo application (DESIGN.md section 5): orders, how they learn they are paid,
 * the fault points, health. `forRoot(config)` takes the configuration main.ts read from the
 * environment once, and provides it globally.
 */
@Module({})
export class AppModule {
  static forRoot(config: OrderServiceConfig): DynamicModule {
    // One registry per application, served by GET /metrics: libs/mq's and libs/outbox's metrics and Node's defaults.
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    return {
      module: AppModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          entities: [Order],
          migrations: ORDER_SERVICE_MIGRATIONS,
          migrationsRun: true,
          synchronize: false,
          extra: { max: 10 },
        }),
        outboxClsModule(),
        MqModule.forRoot({
          isGlobal: true,
          endpoints: config.mqEndpoints,
          credentials: config.mqCredentials,
          metrics: { registry: metrics },
          consumers: {
            retryDelaysMs: config.consumerRetryDelaysMs,
            longPollingTimeoutMs: config.consumerLongPollingTimeoutMs,
            shutdownTimeoutMs: config.consumerShutdownTimeoutMs,
          },
        }),
        FaultsModule,
        OutboxModule.forRootAsync({
          isGlobal: true,
          inject: [FaultInjector],
          useFactory: (faults: FaultInjector) => ({
            migrationsRun: true,
            metrics: { registry: metrics },
            claimWithCommit: faults.claimWithCommit(),
            hooks: { onStep: (step) => faults.atStep(step) },
          }),
        }),
        // The receiver side only: order-service sends no notifications.
        NotificationModule.forRoot({ isGlobal: true, workerEnabled: false, metrics: { registry: metrics } }),
        TerminusModule,
        OrdersModule,
        PaymentsModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: ORDER_SERVICE_CONFIG, useValue: config },
        { provide: Registry, useValue: metrics },
        MqHealthIndicator,
        { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, exceptionFactory: validationFailed }) },
      ],
      exports: [ORDER_SERVICE_CONFIG],
    };
  }
}
