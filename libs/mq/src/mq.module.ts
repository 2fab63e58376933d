import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MqConsumerExplorer } from './mq-consumer.explorer';
import { MqConsumerRegistry } from './mq-consumer.registry';
import { resolveMqOptions } from './mq.defaults';
import { MQ_MODULE_OPTIONS, MQ_RAW_OPTIONS, MqConfigurableModule } from './mq.module-definition';
import { MqModuleOptions } from './mq.options';
import { MqProducer } from './mq.producer';
import { MqTransactionProducer } from './mq-transaction.producer';
import { MqTraceReporter } from './mq-trace-reporter';

/**
 * `MqModule.forRoot({ endpoints })` / `forRootAsync({ useFactory, inject })`, `isGlobal: true` to
 * make it global. Provides the producers and the resolved options; clients start in
 * onApplicationBootstrap and close on shutdown (call `app.enableShutdownHooks()`).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: MQ_MODULE_OPTIONS, useFactory: (options: MqModuleOptions) => resolveMqOptions(options), inject: [MQ_RAW_OPTIONS] },
    MqProducer,
    MqTransactionProducer,
    MqTraceReporter,
    MqConsumerRegistry,
    MqConsumerExplorer,
  ],
  exports: [MQ_MODULE_OPTIONS, MqProducer, MqTransactionProducer, MqTraceReporter, MqConsumerRegistry],
})
export class MqModule extends MqConfigurableModule {}
