import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { MessageView, SendReceipt } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { BatchingProducer } from './batching-producer';
import { buildMessageOptions } from './build-message-options';
import { mapClientError } from './map-client-error';
import { ResolvedMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { MQ_MODULE_OPTIONS } from './mq.module-definition';
import { buildClientOptions } from './mq-client-options';
import { MqSendOptions, MqSendReceipt } from './mq-message';
import { MqTransactionProducer } from './mq-transaction.producer';
import { SendBatcher } from './send-batcher';

/**
 * Sends messages: `send(topic, payload, options)` serializes the payload with the module's
 * serializer and returns the broker's receipt. With `producer.lingerMs > 0`, sends issued within
 * lingerMs go out as one batched SendMessage (delayed messages always go alone: the broker takes
 * no delayed batch). Starts with the application, and on shutdown sends what is still waiting
 * before closing the client.
 *
 * The broker sends a check-back about a half message to any live producer of its topic, taking
 * turns; when this producer declares (or sends to) a topic that also has a transaction checker,
 * it answers with that checker (MqTransactionProducer.answerCheckBack) instead of dropping the
 * check, which would cost the transaction one of its transactionCheckMax checks.
 */
@Injectable()
export class MqProducer implements OnApplicationBootstrap, OnApplicationShutdown {
  private client?: BatchingProducer;
  private batcher?: SendBatcher;
  private state: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  private starting?: Promise<void>;

  private readonly logger = new Logger(MqProducer.name);

  constructor(
    @Inject(MQ_MODULE_OPTIONS) private readonly options: ResolvedMqOptions,
    /** Absent outside MqModule (ClientRocketMQ): check-backs are then answered UNKNOWN. */
    @Optional() private readonly transactions?: MqTransactionProducer,
  ) {}

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
    if (this.state !== 'running' || !client) {
      this.options.metrics.messageSent(topic, 'failure');
      throw new MqError('MQ_ERR_NOT_RUNNING', `the producer is ${this.state}`, { topic });
    }
    try {
      let receipt: SendReceipt;
      if (this.batcher && !message.deliveryTimestamp) receipt = await this.batcher.enqueue(client.prepare(message));
      else receipt = await client.send(message);
      this.options.metrics.messageSent(topic, 'success');
      return { messageId: receipt.messageId, offset: receipt.offset };
    } catch (error) {
      this.options.metrics.messageSent(topic, 'failure');
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
    const client = new BatchingProducer({
      ...buildClientOptions(this.options),
      topics: producer.topics,
      maxAttempts: producer.maxAttempts,
      checker: { check: (view) => this.answerCheckBack(view) },
    });
    try {
      await client.startup();
    } catch (error) {
      this.state = 'stopped';
      await client.shutdown().catch(() => undefined);
      throw new MqError(
        'MQ_ERR_BROKER_UNAVAILABLE',
        `the producer could not start: ${(error as Error).message}`,
        { endpoints: this.options.endpoints },
        { cause: error },
      );
    }
    this.client = client;
    if (producer.lingerMs > 0) this.batcher = new SendBatcher(client, producer);
    this.state = 'running';
  }

  private async answerCheckBack(view: MessageView): Promise<TransactionResolution> {
    if (this.transactions) return this.transactions.answerCheckBack(view);
    this.options.metrics.checkBackAnswered(view.topic, 'no-checker');
    this.logger.warn(`check-back for message ${view.messageId} of topic ${view.topic}, and no transaction producer here: answering UNKNOWN`);
    return TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
  }
}
