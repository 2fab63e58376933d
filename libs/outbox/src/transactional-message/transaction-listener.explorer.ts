import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { MqTransactionProducer } from '@app/mq';
import { OutboxError } from '../outbox.errors';
import { TRANSACTION_LISTENER_METADATA, TransactionListenerHandler, TransactionListenerOptions } from './transaction-listener.decorator';

/**
 * Finds @TransactionListener providers at module init (STYLE 13), registers each one's `check`
 * as its topic's check-back, and hands them to TransactionalSender by topic.
 */
@Injectable()
export class TransactionListenerExplorer implements OnModuleInit {
  private readonly listeners = new Map<string, TransactionListenerHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly producer: MqTransactionProducer,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      if (typeof wrapper.metatype !== 'function') continue;
      const options = Reflect.getMetadata(TRANSACTION_LISTENER_METADATA, wrapper.metatype) as TransactionListenerOptions | undefined;
      if (!options) continue;
      const listener = wrapper.instance as TransactionListenerHandler | undefined;
      if (!wrapper.isDependencyTreeStatic() || typeof listener?.execute !== 'function' || typeof listener.check !== 'function') {
        throw new OutboxError('OUTBOX_ERR_INVALID_OPTIONS', `@TransactionListener ${wrapper.name} must be a singleton provider with execute() and check()`, {
          className: String(wrapper.name),
          topic: options.topic,
        });
      }
      // registerChecker throws MQ_ERR_CHECKER_EXISTS for a second listener (or a @TransactionalMessage) on the topic.
      this.producer.registerChecker(options.topic, (message) => listener.check(message));
      this.listeners.set(options.topic, listener);
    }
  }

  listenerOf(topic: string): TransactionListenerHandler {
    const listener = this.listeners.get(topic);
    if (!listener) throw new OutboxError('OUTBOX_ERR_NO_LISTENER', `no @TransactionListener provider for topic ${topic}`, { topic });
    return listener;
  }
}
