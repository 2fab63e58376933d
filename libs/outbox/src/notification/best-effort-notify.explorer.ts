import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { TransactionRunner } from '../transaction-runner';
import { BEST_EFFORT_NOTIFY_METADATA, type BestEffortNotifyOptions } from './best-effort-notify.decorator';
import { NOTIFICATION_TRANSACTION_RUNNER } from './notification.module-definition';
import { NotificationService } from './notification.service';

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Wires @BestEffortNotify: finds decorated methods on every provider instance at module init and
 * replaces them, on the instance only, with a wrapper that runs the method and notify() in one
 * propagated transaction. The prototype keeps the original and its metadata.
 */
@Injectable()
export class BestEffortNotifyExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly notifications: NotificationService,
    @Inject(NOTIFICATION_TRANSACTION_RUNNER) private readonly runner: TransactionRunner,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = (prototype as Record<string, unknown>)[name];
        const options =
          typeof method === 'function' ? (Reflect.getMetadata(BEST_EFFORT_NOTIFY_METADATA, method) as BestEffortNotifyOptions | undefined) : undefined;
        if (options) instance[name] = this.wrap(instance, method as AnyMethod, options);
      }
    }
  }

  private wrap(instance: object, original: AnyMethod, options: BestEffortNotifyOptions): AnyMethod {
    const { notifications, runner } = this;
    return function bestEffortNotify(...args: unknown[]) {
      return runner.inTransaction(async () => {
        const result = await original.apply(instance, args);
        await notifications.notify({
          endpoint: typeof options.endpoint === 'function' ? options.endpoint(result, ...args) : options.endpoint,
          event: options.event,
          payload: options.payload(result, ...args),
          idempotencyKey: options.idempotencyKey(result, ...args),
        });
        return result;
      });
    };
  }
}
