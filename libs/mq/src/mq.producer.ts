import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SendReceipt } from 'rocketmq-client-nodejs';
import { BatchingProducer } from './batching-producer';
import { buildMessageOptions } from './build-message-options';
import { mapClientError } from './map-client-error';
import { ResolvedMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { MQ_MODULE_OPTIONS } from './mq.module-definition';
import { buildClientOptions } from './mq-client-options';
import { MqSendOptions, MqSendReceipt } from './mq-message';
import { SendBatcher } from './send-batcher';

/**
 * Sends messages: `send(topic, payload, options)` serializes the payload with the module's
 * serializer and returns the broker's receipt. With `producer.lingerMs > 0`, sends issued within
 * lingerMs go out as one batched SendMessage (delayed messages always go alone: the broker takes
 * no delayed batch). Starts with the application, and on shutdown sends what is still waiting
 * before closing the client.
 */
@Injectable()
export class MqProducer implements OnApplicationBootstrap, OnApplicationShutdown {
  private client?: BatchingProducer;
  private batcher?: SendBatcher;
  private state: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  private starting?: Promise<void>;

  constructor(@Inject(MQ_MODULE_OPTIONS) private readonly options: ResolvedMqOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts the client (idempotent); the module does it at bootstrap, ClientRocketMQ on connect(). */
  start(): Promise<void> {
    this.starting ??= this.startClient();
    return this.starting;
  }

  /** Sends the batches still waiting, then closes the client. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    await this.starting?.catch(() => undefined);
    this.state = 'stopping';
    try {
      await this.batcher?.flushAll();
    } finally {
      this.state = 'stopped';
      await this.client?.shutdown().catch(() => undefined);
    }
  }

  isRunning(): boolean {
    return this.state === 'running';
  }

  /**
   * Sends one message. Rejects with MQ_ERR_INVALID_OPTIONS (bad options, before sending),
   * MQ_ERR_SERIALIZATION, MQ_ERR_NOT_RUNNING, MQ_ERR_BROKER_UNAVAILABLE or MQ_ERR_SEND_FAILED.
   */
  async send<T>(topic: string, payload: T, options?: MqSendOptions): Promise<MqSendReceipt> {
    const message = buildMessageOptions(topic, payload, options, this.options.serializer);
    const client = this.client;
    if (this.state !== 'running' || !client) throw new MqError('MQ_ERR_NOT_RUNNING', `the producer is ${this.state}`, { topic });
    try {
      let receipt: SendReceipt;
      if (this.batcher && !message.deliveryTimestamp) receipt = await this.batcher.enqueue(client.prepare(message));
      else receipt = await client.send(message);
      return { messageId: receipt.messageId, offset: receipt.offset };
    } catch (error) {
      throw mapClientError(error, { topic });
    }
  }

  /** The official client underneath (unwrap() of ClientRocketMQ); undefined before start. */
  officialProducer(): BatchingProducer | undefined {
    return this.client;
  }

  private async startClient(): Promise<void> {
    this.state = 'starting';
    const { producer } = this.options;
    const client = new BatchingProducer({ ...buildClientOptions(this.options), topics: producer.topics, maxAttempts: producer.maxAttempts });
    try {
      await client.startup();
    } catch (error) {
      this.state = 'stopped';
      await client.shutdown().catch(() => undefined);
      throw new MqError('MQ_ERR_BROKER_UNAVAILABLE', `the producer could not start: ${(error as Error).message}`, { endpoints: this.options.endpoints }, { cause: error });
    }
    this.client = client;
    if (producer.lingerMs > 0) this.batcher = new SendBatcher(client, producer);
    this.state = 'running';
  }
}
