import { ConfigurableModuleBuilder } from '@nestjs/common';
import { MqModuleOptions } from './mq.options';

/**
 * MqModule's forRoot()/forRootAsync() (STYLE 12). `MQ_RAW_OPTIONS` holds the options as given;
 * `MQ_MODULE_OPTIONS` what every provider injects: the same options with the defaults merged
 * (ResolvedMqOptions, built once by resolveMqOptions). `isGlobal` makes the module global.
 */
export const {
  ConfigurableModuleClass: MqConfigurableModule,
  MODULE_OPTIONS_TOKEN: MQ_RAW_OPTIONS,
  OPTIONS_TYPE: MQ_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MQ_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MqModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Injection token of the resolved options (ResolvedMqOptions). */
export const MQ_MODULE_OPTIONS = Symbol('MQ_MODULE_OPTIONS');
