import { DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './admin/health.controller';
import { BrokerConfig } from './config/broker-config';
import { MessageStore } from './store/message-store';
import { BROKER_CONFIG, MESSAGE_STORE } from './broker.tokens';

/**
 * The broker's Nest application. The store is opened by Broker before this module is created
 * and closed by Broker after the HTTP server stops, so the module only provides it: Nest's
 * lifecycle never opens or closes it, and the shutdown order stays in one place.
 */
@Module({})
export class BrokerModule {
  static register(options: { store: MessageStore; config: BrokerConfig }): DynamicModule {
    return {
      module: BrokerModule,
      controllers: [HealthController],
      providers: [
        { provide: MESSAGE_STORE, useValue: options.store },
        { provide: BROKER_CONFIG, useValue: options.config },
      ],
    };
  }
}
