import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { anyEndpointReachable } from './broker-probe';
import { buildMessageOptions } from './build-message-options';
import { mapClientError } from './map-client-error';
import { toMqMessage } from './map-message-view';
import { ResolvedMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { MQ_MODULE_OPTIONS } from './mq.module-definition';
import { buildClientOptions } from './mq-client-options';
import { MqSendOptions } from './mq-message';
import { OfficialProducer } from './official-clients';
import { MqHalfMessage, MqTransactionChecker, MqTransactionResolution } from './mq-transaction.types';
import { Http2TransactionWire } from './wire/http2-transaction-wire';
import { OfficialTransactionWire, TransactionWire, WireHalf } from './wire/transaction-wire';

/** A broker that answered within this long is taken as reachable without probing it again. */
const RECENTLY_REACHED_MS = 2_000;

const RESOLUTIONS: Record<MqTransactionResolution, TransactionResolution> = {
  COMMIT: TransactionResolution.COMMIT,
  ROLLBACK: TransactionResolution.ROLLBACK,
  UNKNOWN: TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED,
};

/**
 * Transactional sends for libs/outbox: `sendHalf()` stores a half message the consumers do not see
 * until `commit()`; `rollback()` discards it. When a producer never ends a transaction (it
 * crashed, or the EndTransaction was lost), the broker checks back: the check-back goes to the
 * checker registered for the message's topic.
 *
 * One official Producer serves every topic. The client only gets check-backs about topics it
 * declared at startup (or has sent to since), so checkers must be registered before the
 * application bootstraps (onModuleInit): the producer starts in onApplicationBootstrap
 * declaring exactly the checker topics. A checker that throws, or a topic without a checker,
 * answers UNKNOWN: the client then sends nothing and the broker asks again later.
 */
@Injectable()
export class MqTransactionProducer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MqTransactionProducer.name);
  private readonly checkers = new Map<string, MqTransactionChecker>();
  private client?: OfficialProducer;
  /** How the half send and EndTransaction go (`producer.transactionWire`); set once the client runs. */
  private wire?: TransactionWire;
  private state: 'created' | 'starting' | 'running' | 'stopped' = 'created';
  private starting?: Promise<void>;
  /** When the broker last answered a send or an EndTransaction (performance.now()). */
  private lastReachedAt = Number.NEGATIVE_INFINITY;

  constructor(@Inject(MQ_MODULE_OPTIONS) private readonly options: ResolvedMqOptions) {}

  /** Call from onModuleInit (before application bootstrap). Throws MQ_ERR_CHECKER_EXISTS for a 2nd checker per topic. */
  registerChecker(topic: string, checker: MqTransactionChecker): void {
    if (this.checkers.has(topic)) throw new MqError('MQ_ERR_CHECKER_EXISTS', `a transaction checker for topic ${topic} is already registered`, { topic });
    if (this.state !== 'created') {
      throw new MqError(
        'MQ_ERR_INVALID_OPTIONS',
        `register the checker of ${topic} in onModuleInit: the producer has started and would not be asked about it`,
        { topic },
      );
    }
    this.checkers.set(topic, checker);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.state = 'stopped';
    this.wire?.close();
    await this.client?.shutdown().catch(() => undefined);
  }

  /** Starts the client declaring the checker topics (idempotent; the module does it at bootstrap). */
  start(): Promise<void> {
    this.starting ??= this.startClient();
    return this.starting;
  }

  isRunning(): boolean {
    return this.state === 'running';
  }

  /**
   * Fails fast, before any local work, when the broker cannot be reached: MQ_ERR_NOT_RUNNING when
   * the producer is not running, MQ_ERR_BROKER_UNAVAILABLE when no endpoint accepts a connection.
   * Free while the broker keeps answering (it answered in the last 2 s); otherwise one TCP
   * connect, bounded by the request timeout (at most 1 s). It is a preflight, not a promise: the
   * broker can still go away before the send, which then fails with the same code.
   */
  async ensureReachable(topic: string): Promise<void> {
    if (this.state !== 'running') throw new MqError('MQ_ERR_NOT_RUNNING', `the transaction producer is ${this.state}`, { topic });
    if (performance.now() - this.lastReachedAt < RECENTLY_REACHED_MS) return;
    const timeoutMs = Math.min(this.options.requestTimeoutMs, 1_000);
    if (await anyEndpointReachable(this.options.endpoints, timeoutMs)) return;
    throw new MqError('MQ_ERR_BROKER_UNAVAILABLE', `no broker endpoint of ${this.options.endpoints} accepts connections`, {
      topic,
      endpoints: this.options.endpoints,
    });
  }

  /** Sends a half message; MQ_ERR_BROKER_UNAVAILABLE when the broker cannot be reached, MQ_ERR_SEND_FAILED when it refuses. */
  async sendHalf<T>(topic: string, payload: T, options?: MqSendOptions): Promise<MqHalfMessage> {
    const message = buildMessageOptions(topic, payload, options, this.options.serializer, true);
    const wire = this.wire;
    if (this.state !== 'running' || !wire) {
      this.options.metrics.messageSent(topic, 'failure');
      throw new MqError('MQ_ERR_NOT_RUNNING', `the transaction producer is ${this.state}`, { topic });
    }
    let half: WireHalf;
    try {
      half = await wire.sendHalf(message);
      this.lastReachedAt = performance.now();
    } catch (error) {
      this.options.metrics.messageSent(topic, 'failure');
      throw mapClientError(error, { topic });
    }
    this.options.metrics.messageSent(topic, 'success');
    const { messageId, transactionId } = half;
    const end = async (resolution: 'COMMIT' | 'ROLLBACK'): Promise<void> => {
      try {
        await half.end(resolution);
        this.lastReachedAt = performance.now();
      } catch (error) {
        throw mapClientError(error, { topic, messageId, transactionId, resolution: resolution.toLowerCase() });
      }
    };
    return { topic, messageId, transactionId, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
  }

  private async startClient(): Promise<void> {
    this.state = 'starting';
    const client = new OfficialProducer({
      ...buildClientOptions(this.options),
      topics: [...this.checkers.keys()],
      maxAttempts: this.options.producer.maxAttempts,
      checker: { check: (view) => this.answerCheckBack(view) },
    });
    try {
      await client.startup();
    } catch (error) {
      this.state = 'stopped';
      await client.shutdown().catch(() => undefined);
      throw new MqError(
        'MQ_ERR_BROKER_UNAVAILABLE',
        `the transaction producer could not start: ${(error as Error).message}`,
        { endpoints: this.options.endpoints },
        { cause: error },
      );
    }
    this.client = client;
    this.wire =
      this.options.producer.transactionWire === 'http2' ? new Http2TransactionWire(client, this.options.requestTimeoutMs) : new OfficialTransactionWire(client);
    this.state = 'running';
  }

  /**
   * The answer to a check-back, by the checker of the message's topic; any failure is UNKNOWN (ask
   * again later). The transaction producer's client asks it, and so does MqProducer's: the broker
   * sends a check-back to any live producer of the topic, taking turns (as Apache RocketMQ's proxy
   * does), so a plain producer that declares the topic too must answer it as well.
   */
  async answerCheckBack(view: MessageView): Promise<TransactionResolution> {
    const checker = this.checkers.get(view.topic);
    const metrics = this.options.metrics;
    if (!checker) {
      metrics.checkBackAnswered(view.topic, 'no-checker');
      this.logger.warn(`check-back for message ${view.messageId} of topic ${view.topic}, which has no checker: answering UNKNOWN`);
      return RESOLUTIONS.UNKNOWN;
    }
    try {
      const resolution = await checker(toMqMessage(view, this.options.serializer));
      if (!(resolution in RESOLUTIONS)) throw new Error(`the checker answered ${String(resolution)}`);
      metrics.checkBackAnswered(view.topic, resolution);
      return RESOLUTIONS[resolution];
    } catch (error) {
      metrics.checkBackAnswered(view.topic, 'error');
      this.logger.error(`the checker of topic ${view.topic} failed for message ${view.messageId}; answering UNKNOWN: ${(error as Error).message}`);
      return RESOLUTIONS.UNKNOWN;
    }
  }
}
