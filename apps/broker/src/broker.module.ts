import { TraceRecorder } from './trace/trace-recorder';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Registry } from 'prom-client';
import { ClusterController } from './admin/cluster.controller';
import { DeadLetterController } from './admin/dead-letter.controller';
import { GroupsController } from './admin/groups.controller';
import { HealthController } from './admin/health.controller';
import { MessagesController } from './admin/messages.controller';
import { MetricsController } from './admin/metrics.controller';
import { TopicsController } from './admin/topics.controller';
import { TransactionsController } from './admin/transactions.controller';
import { UsersController } from './admin/users.controller';
import { AclsController } from './admin/acls.controller';
import { TokensController } from './admin/tokens.controller';
import { ConsoleController } from './console/console.controller';
import type { TraceSink } from './trace/trace-events';
import { OverviewController } from './admin/overview.controller';
import type { AclRegistry } from './auth/acl-registry';
import { AdminAuthGuard } from './admin/admin-auth.guard';
import type { Authenticator } from './auth/authenticator';
import type { BearerTokens } from './auth/bearer-tokens';
import type { UserRegistry } from './auth/user-registry';
import { BrokerConfig } from './config/broker-config';
import { MessageStore } from './store/message-store';
import { DeliveryApi } from './delivery/delivery.types';
import { Publisher } from './publishing/publisher';
import { DelaySchedulerApi } from './schedule/delay-scheduler.types';
import { TopicsApi } from './topics/topic-config';
import { TransactionApi } from './transaction/transaction.types';
import {
  ACLS,
  AUTHENTICATOR,
  BEARER_TOKENS,
  BROKER_CONFIG,
  DELAY_SCHEDULER,
  DELIVERY,
  MESSAGE_STORE,
  METRICS_REGISTRY,
  PUBLISHER,
  TOPICS,
  TRANSACTIONS,
  USERS,
  TRACE,
  CLIENTS,
  ClientsApi,
  MESSAGE_EVENTS,
} from './broker.tokens';

/** The broker's parts, built and opened by Broker, provided to controllers under broker.tokens. */
export interface BrokerModuleOptions {
  store: MessageStore;
  config: BrokerConfig;
  topics?: TopicsApi;
  /** The broker's write path; without one, a publisher over the parts given here. */
  publisher?: Publisher;
  delivery?: DeliveryApi;
  scheduler?: DelaySchedulerApi;
  transactions?: TransactionApi;
  /** Served as Prometheus text on `GET /metrics`. */
  metricsRegistry?: Registry;
  users?: UserRegistry;
  acls?: AclRegistry;
  /** With authentication enabled, every route but /health needs credentials (AdminAuthGuard). */
  authenticator?: Authenticator;
  /** Issues the admin API's bearer tokens (`POST /auth/tokens`); opened only with authentication enabled. */
  tokens?: BearerTokens;
  /** The message trace: `GET /messages/:id/timeline` reads it. */
  trace?: TraceRecorder;
  /** Where admin routes report what they did to a message (MESSAGE_EVENTS). */
  messageEvents?: TraceSink;
  /** The clients the gRPC layer knows: `GET /groups/:group` lists a group's. */
  clients?: ClientsApi;
}

/**
 * The broker's Nest application. The store is opened by Broker before this module is created
 * and closed by Broker after the HTTP server stops, so the module only provides it: Nest's
 * lifecycle never opens or closes it, and the shutdown order stays in one place.
 */
@Module({})
export class BrokerModule {
  static register(options: BrokerModuleOptions): DynamicModule {
    return {
      module: BrokerModule,
      controllers: [
        HealthController,
        TopicsController,
        DeadLetterController,
        GroupsController,
        MessagesController,
        ClusterController,
        TransactionsController,
        MetricsController,
        UsersController,
        AclsController,
        TokensController,
        OverviewController,
        ConsoleController,
      ],
      providers: [
        { provide: MESSAGE_STORE, useValue: options.store },
        { provide: BROKER_CONFIG, useValue: options.config },
        { provide: TOPICS, useValue: options.topics },
        {
          provide: PUBLISHER,
          useFactory: (): Publisher =>
            options.publisher ??
            new Publisher({ store: options.store, topics: options.topics, delayed: options.scheduler, halfMessages: options.transactions }),
        },
        { provide: DELIVERY, useValue: options.delivery },
        { provide: DELAY_SCHEDULER, useValue: options.scheduler },
        { provide: TRANSACTIONS, useValue: options.transactions },
        { provide: METRICS_REGISTRY, useValue: options.metricsRegistry },
        { provide: USERS, useValue: options.users },
        { provide: ACLS, useValue: options.acls },
        { provide: AUTHENTICATOR, useValue: options.authenticator },
        { provide: BEARER_TOKENS, useValue: options.tokens },
        { provide: TRACE, useValue: options.trace },
        { provide: CLIENTS, useValue: options.clients },
        { provide: MESSAGE_EVENTS, useValue: options.messageEvents },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
      ],
    };
  }
}
