import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { BaseRpcContext } from '@nestjs/microservices/ctx-host/base-rpc.context';
import { isObservable, lastValueFrom } from 'rxjs';
import { MqConsumerOptions, resolveConsumerOptions } from './mq-consumer.options';
import { MqConsumerRegistry } from './mq-consumer.registry';
import { consumerRunnerSettings, MqConsumerRunner } from './mq-consumer.runner';
import { resolveMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { MqMessage } from './mq-message';
import { MqModuleOptions } from './mq.options';

/** Transport id of ServerRocketMQ (what processing hooks receive). */
export const MQ_TRANSPORT = Symbol('RocketMQ');

/** Per-handler consumer settings: the extras of `@EventPattern('topic', { group, filter, ... })`. */
export type MqEventPatternExtras = Partial<Omit<MqConsumerOptions, 'topic'>>;

export interface ServerRocketMQOptions extends MqModuleOptions {
  /** Consumer group of the @EventPattern handlers that name none. */
  group: string;
  /** Defaults for every event consumer (concurrency, maxAttempts, invisibleDurationMs, fifo); extras win. */
  consumer?: Omit<MqConsumerOptions, 'topic' | 'group'>;
  /** Registers the runners here too, so MqHealthIndicator reports them: `app.get(MqConsumerRegistry)`. */
  registry?: MqConsumerRegistry;
}

/** The context of an @EventPattern handler on this transport: `@Ctx() context: MqContext`. */
export class MqContext extends BaseRpcContext<[MqMessage]> {
  /** The message with its id, keys, tag, delivery attempt, message group, properties. */
  getMessage(): MqMessage {
    return this.args[0];
  }
}

/**
 * The @nestjs/microservices server of the RocketMQ transport (STYLE 14). Each
 * `@EventPattern('<topic>', { group?, filter?, ... })` handler consumes its topic through the same
 * runner @MqConsumer uses (ack when the handler and its interceptors complete, retry ladder, DLQ,
 * graceful close). The handler gets the decoded payload (`@Payload()`) and an MqContext (`@Ctx()`).
 *
 * `@MessagePattern` (request/response) fails listen() with MQ_ERR_REQUEST_REPLY_UNSUPPORTED:
 * RocketMQ 5 has no reply channel a client can rely on, and faking one over a reply topic would
 * promise a latency and delivery contract the transport does not have.
 */
export class ServerRocketMQ extends Server implements CustomTransportStrategy {
  private readonly runners: MqConsumerRunner[] = [];
  private readonly listeners = new Map<string, Array<(...args: unknown[]) => unknown>>();

  constructor(private readonly options: ServerRocketMQOptions) {
    super();
    this.transportId = MQ_TRANSPORT;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.createRunners();
      await Promise.all(this.runners.map((runner) => runner.start()));
    } catch (error) {
      await this.close();
      const failure =
        error instanceof MqError
          ? error
          : new MqError(
              'MQ_ERR_CONSUMER_START_FAILED',
              `RocketMQ transport: a consumer could not start: ${error instanceof Error ? error.message : String(error)}`,
              {},
              { cause: error },
            );
      this.emit('error', failure);
      callback(failure);
      return;
    }
    callback();
  }

  /** Stops receiving, lets handlers in flight finish (consumers.shutdownTimeoutMs) and acks them. */
  async close(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    for (const runner of this.runners) this.options.registry?.remove(runner);
    this.runners.length = 0;
  }

  /** Listens for the transport's events; the only one is 'error' (a consumer failed to start). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Server's own signature.
  on(event: string, callback: Function): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback as (...args: unknown[]) => unknown]);
  }

  /** The consumer runners, one per @EventPattern topic. */
  unwrap<T>(): T {
    return this.runners as T;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }

  private createRunners(): void {
    const requestReply = [...this.messageHandlers.entries()].filter(([, handler]) => !handler.isEventHandler).map(([pattern]) => pattern);
    if (requestReply.length > 0) {
      throw new MqError(
        'MQ_ERR_REQUEST_REPLY_UNSUPPORTED',
        `RocketMQ transport: @MessagePattern (request/response) is not supported, use @EventPattern; found ${requestReply.join(', ')}`,
        { patterns: requestReply },
      );
    }
    const resolved = resolveMqOptions(this.options);
    const settings = consumerRunnerSettings(resolved);
    for (const [topic, handler] of this.messageHandlers) {
      const extras = (handler.extras ?? {}) as MqEventPatternExtras;
      const options = resolveConsumerOptions(
        { ...this.options.consumer, group: this.options.group, ...extras, topic },
        `@EventPattern('${topic}')`,
        resolved.consumers.instanceId,
      );
      const runner = new MqConsumerRunner(`transport:${topic}`, options, (message) => this.invoke(handler, message), settings);
      this.runners.push(runner);
      this.options.registry?.add(runner);
    }
  }

  /** Runs the handler (with Nest's processing hooks) and waits for its observable to complete. */
  private invoke(handler: MessageHandler, message: MqMessage): Promise<void> {
    const context = new MqContext([message]);
    return new Promise<void>((resolve, reject) => {
      this.onProcessingStartHook(MQ_TRANSPORT, context, async () => {
        try {
          const result: unknown = await handler(message.payload, context);
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          resolve();
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        } finally {
          this.onProcessingEndHook?.(MQ_TRANSPORT, context);
        }
      });
    });
  }
}
