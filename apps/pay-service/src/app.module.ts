import { DynamicModule, Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { FaultInjector } from '@app/faults';
import { MqHealthIndicator, MqModule } from '@app/mq';
import { NotificationModule, outboxClsModule, OutboxModule } from '@app/outbox';
import { Account } from './accounts/account.entity';
import { AccountsController } from './accounts/accounts.controller';
import { AccountsService } from './accounts/accounts.service';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { PayService0001Tables1767312000001 } from './migrations/0001-pay-service-tables.migration';
import { KnownOrder } from './orders/known-order.entity';
import { KnownOrdersService } from './orders/known-orders.service';
import { OrderEventsConsumer } from './orders/order-events.consumer';
import { PAY_SERVICE_CONFIG, type PayServiceConfig } from './pay-service.config';
import { MerchantCallback } from './payments/merchant-callback';
import { Payment } from './payments/payment.entity';
import { PAYMENT_SUCCEEDED_TOPIC, PaymentsService } from './payments/payments.service';
import { PaymentsController } from './payments/payments.controller';
import { createValidationPipe } from './validation.pipe';

/**
 * The pay-service application (DESIGN.md section 5): `AppModule.forRoot(loadPayServiceConfig())`.
 * TypeORM runs the service's own migration, OutboxModule the `mq_*` ones; nestjs-cls carries the
 * transaction the payment, its half message and its notification share.
 */
@Module({})
export class AppModule {
  static forRoot(config: PayServiceConfig): DynamicModule {
    const faults = new FaultInjector(config.faults);
    // One registry per application, served by GET /metrics: libs/mq's and libs/outbox's metrics and Node's defaults.
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          entities: [Account, KnownOrder, Payment],
          migrations: [PayService0001Tables1767312000001],
          migrationsRun: true,
          synchronize: false,
          extra: { max: 20 },
        }),
        outboxClsModule(),
        MqModule.forRoot({
          isGlobal: true,
          endpoints: config.mqEndpoints,
          credentials: config.mqCredentials,
          producer: { topics: [PAYMENT_SUCCEEDED_TOPIC] },
          metrics: { registry: metrics },
          consumers: {
            retryDelaysMs: config.consumerRetryDelaysMs,
            longPollingTimeoutMs: config.consumerLongPollingTimeoutMs,
            shutdownTimeoutMs: config.consumerShutdownTimeoutMs,
          },
        }),
        OutboxModule.forRoot({
          migrationsRun: true,
          metrics: { registry: metrics },
          claimWithCommit: faults.claimWithCommit(),
          hooks: { onStep: (step) => faults.atStep(step) },
        }),
        NotificationModule.forRoot({
          retryLadderMs: config.notifyRetryLadderMs,
          // The demo's short ladder should not be overruled by the 60 s floor after a timeout or a 503.
          overloadedMinDelayMs: config.notifyRetryLadderMs?.[0],
          allowedAddresses: config.notifyAllowedAddresses,
          pollIntervalMs: config.notifyPollIntervalMs,
          timeoutMs: config.notifyTimeoutMs,
          metrics: { registry: metrics },
        }),
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [PaymentsController, AccountsController, NotificationsController, HealthController, MetricsController],
      providers: [
        { provide: PAY_SERVICE_CONFIG, useValue: config },
        { provide: Registry, useValue: metrics },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        PaymentsService,
        MerchantCallback,
        AccountsService,
        KnownOrdersService,
        OrderEventsConsumer,
        MqHealthIndicator,
      ],
    };
  }
}
