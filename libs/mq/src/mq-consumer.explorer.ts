import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ExternalContextCreator, MetadataScanner } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { MQ_CONSUMER_METADATA } from './mq-consumer.decorator';
import { MqConsumerOptions, resolveConsumerOptions } from './mq-consumer.options';
import { ensureDefaultParams, MQ_CONSUMER_ARGS_METADATA, mqParamsFactory } from './mq-consumer-params';
import { MqConsumerRegistry } from './mq-consumer.registry';
import { consumerRunnerSettings, MqConsumerRunner } from './mq-consumer.runner';
import { ResolvedMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { MQ_MODULE_OPTIONS } from './mq.module-definition';

/** ExecutionContext#getType() inside @MqConsumer handlers (guards and interceptors can branch on it). */
export const MQ_CONTEXT_TYPE = 'rocketmq';

/**
 * Wires @MqConsumer methods (STYLE 13): finds them on every provider at module init (so an
 * invalid declaration fails startup), starts one runner each in onApplicationBootstrap (after
 * the application is ready; not at all when `consumers.enabled` is false) and stops them in
 * beforeApplicationShutdown, before MqProducer closes, so handlers that produce can finish.
 * Handlers are called through ExternalContextCreator: guards, interceptors, pipes and exception
 * filters apply, and the message is acked only once the interceptor chain completed.
 */
@Injectable()
export class MqConsumerExplorer implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runners: MqConsumerRunner[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
    private readonly registry: MqConsumerRegistry,
    @Inject(MQ_MODULE_OPTIONS) private readonly options: ResolvedMqOptions,
  ) {}

  onModuleInit(): void {
    const settings = consumerRunnerSettings(this.options);
    const seen = new Map<string, string>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = this.handlerHost(wrapper);
      if (!instance) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const declared = Reflect.getMetadata(MQ_CONSUMER_METADATA, (prototype as Record<string, object>)[methodName]) as MqConsumerOptions | undefined;
        if (!declared) continue;
        const name = `${instance.constructor.name}.${methodName}`;
        const options = resolveConsumerOptions(declared, `@MqConsumer on ${name}`, this.options.consumers.instanceId);
        // Two handlers of one group on one topic would split its messages between them at random.
        const key = `${options.group}\u0000${options.topic}`;
        if (seen.has(key)) {
          throw new MqError('MQ_ERR_INVALID_OPTIONS', `@MqConsumer on ${name}: group ${options.group} already consumes ${options.topic} in ${seen.get(key)}`, {
            topic: options.topic,
            group: options.group,
          });
        }
        seen.set(key, name);
        const runner = new MqConsumerRunner(name, options, this.createHandler(instance, methodName), settings);
        this.runners.push(runner);
        this.registry.add(runner);
      }
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.consumers.enabled) return;
    try {
      await Promise.all(this.runners.map((runner) => runner.start()));
    } catch (error) {
      await this.beforeApplicationShutdown();
      throw new MqError(
        'MQ_ERR_CONSUMER_START_FAILED',
        `a consumer could not start: ${error instanceof Error ? error.message : String(error)}`,
        {},
        { cause: error },
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }

  /** Singleton provider instances only: a request-scoped provider has no instance to consume with. */
  private handlerHost(wrapper: InstanceWrapper): object | undefined {
    const instance: unknown = wrapper.instance;
    if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) return undefined;
    return instance;
  }

  private createHandler(instance: object, methodName: string): (message: unknown) => Promise<unknown> {
    ensureDefaultParams(instance, methodName);
    const callback = (instance as Record<string, (...args: unknown[]) => unknown>)[methodName];
    return this.contextCreator.create(
      instance,
      callback,
      methodName,
      MQ_CONSUMER_ARGS_METADATA,
      mqParamsFactory,
      undefined,
      undefined,
      undefined,
      MQ_CONTEXT_TYPE,
    );
  }
}
