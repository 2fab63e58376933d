import { ConfigurableModuleBuilder } from '@nestjs/common';
import { OutboxModuleOptions } from './outbox.options';

/**
 * OutboxModule's forRoot()/forRootAsync() (STYLE 12). `OUTBOX_RAW_OPTIONS` holds the options as
 * given; `OUTBOX_MODULE_OPTIONS` what providers inject: the options with the defaults merged once
 * (ResolvedOutboxOptions). `isGlobal` makes the module global.
 */
export const {
  ConfigurableModuleClass: OutboxConfigurableModule,
  MODULE_OPTIONS_TOKEN: OUTBOX_RAW_OPTIONS,
  OPTIONS_TYPE: OUTBOX_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OUTBOX_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OutboxModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Injection token of the resolved options (ResolvedOutboxOptions). */
export const OUTBOX_MODULE_OPTIONS = Symbol('OUTBOX_MODULE_OPTIONS');
