import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { MqTransactionProducer } from '@app/mq';
import { TransactionCheckBack } from '../check-back/transaction-check-back';
import { OutboxDatabase } from '../outbox-database';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OutboxError } from '../outbox.errors';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { TRANSACTIONAL_MESSAGE_EXECUTOR, TRANSACTIONAL_MESSAGE_METADATA, TransactionalMessageOptions } from './transactional-message.decorator';
import { TransactionalMessageExecutor } from './transactional-message.executor';

/**
 * Wires @TransactionalMessage at module init (STYLE 13): gives every provider and controller
 * instance with a decorated method the executor, and registers the automatic check-back for each
 * half-message topic with the transaction producer (before it starts at bootstrap, so the
 * producer declares the topic and is asked about it).
 */
@Injectable()
export class TransactionalMessageExplorer implements OnModuleInit {
  private readonly topics = new Set<string>();
  /** The race-free check-back on the module's runner and schema. */
  private readonly checkBack: TransactionCheckBack;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly executor: TransactionalMessageExecutor,
    private readonly producer: MqTransactionProducer,
    database: OutboxDatabase,
    @Inject(OUTBOX_MODULE_OPTIONS) options: ResolvedOutboxOptions,
  ) {
    this.checkBack = new TransactionCheckBack(database.runner, options.schema, options.checkBack.lockTimeoutMs, options.logger);
  }

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const decorated = this.decoratedMethods(wrapper);
      if (decorated.length === 0) continue;
      if (!wrapper.isDependencyTreeStatic() || !wrapper.instance) {
        throw new OutboxError(
          'OUTBOX_ERR_INVALID_OPTIONS',
          `@TransactionalMessage on ${wrapper.name}, which is not a singleton: request-scoped providers are not supported`,
          {
            className: String(wrapper.name),
          },
        );
      }
      Object.defineProperty(wrapper.instance, TRANSACTIONAL_MESSAGE_EXECUTOR, { value: this.executor, configurable: true });
      for (const options of decorated) if ((options.mode ?? 'half-message') === 'half-message') this.registerCheckBack(options.topic);
    }
  }

  /** The half-message topics found, each with its check-back registered. */
  checkedTopics(): string[] {
    return [...this.topics];
  }

  private decoratedMethods(wrapper: InstanceWrapper): TransactionalMessageOptions[] {
    const prototype = (wrapper.metatype as { prototype?: object } | undefined)?.prototype;
    if (!prototype || typeof wrapper.metatype !== 'function') return [];
    return this.scanner
      .getAllMethodNames(prototype)
      .map(
        (name) => Reflect.getMetadata(TRANSACTIONAL_MESSAGE_METADATA, (prototype as Record<string, object>)[name]) as TransactionalMessageOptions | undefined,
      )
      .filter((options): options is TransactionalMessageOptions => options !== undefined);
  }

  private registerCheckBack(topic: string): void {
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.producer.registerChecker(topic, (message) => this.checkBack.resolve(message.topic, message.messageId));
  }
}
