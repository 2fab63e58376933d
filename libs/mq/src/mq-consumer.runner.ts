import { LoggerService } from '@nestjs/common';
import { BaseClientOptions, FilterExpression, MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { FilterType } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';
import { AckBatcher } from './ack-batcher';
import { forwardToDeadLetterQueue } from './dead-letter-forwarder';
import { InvisibleDurationRenewal } from './invisible-duration-renewal';
import { OfficialSimpleConsumer } from './official-clients';
import { toMqMessage } from './map-message-view';
import { buildClientOptions } from './mq-client-options';
import { MAX_RECEIVE_BATCH, ResolvedMqConsumerOptions, validateRetryDelays } from './mq-consumer.options';
import { ResolvedMqOptions } from './mq.defaults';
import { MqMessage } from './mq-message';
import { MqSerializer } from './mq-serializer';
import { MqMetrics } from './mq.metrics';
import { Http2ReceiveWire } from './wire/http2-receive-wire';
import { OfficialReceiveWire, ReceiveWire } from './wire/receive-wire';

/** What a runner calls for each message; resolving acknowledges it, throwing retries it. */
export type MqMessageHandler = (message: MqMessage) => Promise<unknown>;

/** Lifecycle of a runner, as the registry and the health indicator report it. */
export type MqConsumerRunnerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Module-wide settings a runner needs besides its own options. */
export interface MqConsumerRunnerSettings {
  clientOptions: BaseClientOptions;
  serializer: MqSerializer;
  /** Delay before redelivery after the n-th failed delivery (index n-1; the last one repeats). */
  retryDelaysMs: readonly number[];
  shutdownTimeoutMs: number;
  longPollingTimeoutMs: number;
  /** How receives and acks go (`consumers.receiveWire`). */
  receiveWire: 'http2' | 'official';
  logger?: LoggerService;
  /** Where each delivery's outcome is counted (a no-op without `metrics.registry`). */
  metrics: MqMetrics;
}

/** Pause after a failed receive, so a broker that is down is not asked in a tight loop. */
const RECEIVE_BACKOFF_MS = 1_000;

/** Most receives one runner has in flight: a consumer of concurrency 64 keeps two, 256 keeps four. */
const MAX_RECEIVE_LOOPS = 4;

/**
 * Runs one consumer on the official SimpleConsumer: a receive loop asking for as many messages
 * as there are free handler slots (bounded concurrency), ack when the handler resolves,
 * ChangeInvisibleDuration by the retry ladder when it throws (the broker redelivers it with
 * deliveryAttempt + 1), ForwardMessageToDeadLetterQueue once `maxAttempts` deliveries failed.
 *
 * The SimpleConsumer rather than the PushConsumer: the push consumer owns its own thread-like
 * consume service, retry policy (which the server dictates) and cache, and cannot wait for a
 * promise-returning Nest handler chain; the simple consumer leaves all of that to us.
 *
 * A handler that outlives `invisibleDurationMs` keeps its message invisible: the runner renews
 * the invisible duration while it runs (invisible-duration-renewal.ts).
 *
 * FIFO: messages of one message group run one after the other, in the order received; after a
 * failure, the rest of that group's received messages are not run but put back with the same
 * delay, so the failed one is retried before them.
 *
 * stop(): no new receive, handlers in flight finish (at most shutdownTimeoutMs) and are acked,
 * then the client shuts down. A message a receive still in flight brings back is left alone and
 * redelivered after its invisible duration (at-least-once).
 */
export class MqConsumerRunner {
  private client: SimpleConsumer | undefined;
  private wire: ReceiveWire | undefined;
  private acks: AckBatcher | undefined;
  private currentState: MqConsumerRunnerState = 'idle';
  /** Handler slots promised to receives in flight, so parallel receives never overshoot concurrency. */
  private reserved = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Received messages not yet finished (queued behind a message group included). */
  private pending = 0;
  private slotFreed: (() => void) | undefined;
  /** FIFO: message group -> tail of its chain; a group whose message failed -> its retry delay. */
  private readonly groupChains = new Map<string, Promise<void>>();
  private readonly failedGroups = new Map<string, number>();
  private lastError: unknown;

  constructor(
    readonly name: string,
    readonly options: ResolvedMqConsumerOptions,
    private readonly handler: MqMessageHandler,
    private readonly settings: MqConsumerRunnerSettings,
  ) {}

  get state(): MqConsumerRunnerState {
    return this.currentState;
  }

  /** The last receive or startup error, for the health indicator. */
  get error(): unknown {
    return this.lastError;
  }

  /** Handlers running or waiting for their message group. */
  get inFlightCount(): number {
    return this.pending;
  }

  async start(): Promise<void> {
    if (this.currentState !== 'idle') return;
    this.currentState = 'starting';
    const { topic, group, filter } = this.options;
    const expression = typeof filter === 'string' ? new FilterExpression(filter, FilterType.TAG) : new FilterExpression(filter.sql, FilterType.SQL);
    const client = new OfficialSimpleConsumer({
      ...this.settings.clientOptions,
      consumerGroup: group,
      subscriptions: new Map([[topic, expression]]),
      awaitDuration: this.settings.longPollingTimeoutMs,
    });
    this.client = client;
    try {
      await client.startup();
    } catch (error) {
      this.currentState = 'failed';
      this.lastError = error;
      await client.shutdown().catch(() => undefined);
      throw error;
    }
    const timeoutMs = this.settings.clientOptions.requestTimeout ?? 3_000;
    this.wire =
      this.settings.receiveWire === 'http2'
        ? new Http2ReceiveWire(client, { topic, filter: expression, awaitDurationMs: this.settings.longPollingTimeoutMs }, timeoutMs)
        : new OfficialReceiveWire(client, timeoutMs);
    this.acks = new AckBatcher(this.wire);
    this.currentState = 'running';
    // One receive returns at most 32 messages and waits a round trip: a consumer allowed more
    // handlers than that keeps several receives in flight, or it could never fill its slots.
    const loopCount = Math.min(MAX_RECEIVE_LOOPS, Math.ceil(this.options.concurrency / MAX_RECEIVE_BATCH));
    for (let n = 0; n < loopCount; n++) void this.receiveLoop(client, this.wire);
  }

  async stop(): Promise<void> {
    if (this.currentState !== 'running' && this.currentState !== 'failed') {
      if (this.currentState === 'idle') this.currentState = 'stopped';
      return;
    }
    this.currentState = 'stopping';
    this.slotFreed?.();
    const deadline = new Promise<'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), this.settings.shutdownTimeoutMs);
      timer.unref();
    });
    // Handlers started later (FIFO chains) are added to inFlight as they start: wait until it drains.
    while (this.inFlight.size > 0) {
      if ((await Promise.race([Promise.allSettled([...this.inFlight]), deadline])) === 'timeout') {
        this.settings.logger?.warn?.(
          `${this.name}: ${this.pending} handler(s) still running after ${this.settings.shutdownTimeoutMs} ms; their messages will be redelivered`,
        );
        break;
      }
    }
    await this.client?.shutdown().catch((error: unknown) => {
      this.settings.logger?.warn?.(`${this.name}: client shutdown failed: ${String(error)}`);
    });
    this.wire?.close();
    this.currentState = 'stopped';
  }

  private async receiveLoop(client: SimpleConsumer, wire: ReceiveWire): Promise<void> {
    while (this.currentState === 'running') {
      const free = this.options.concurrency - this.pending - this.reserved;
      if (free <= 0) {
        await this.slotFreedSignal();
        continue;
      }
      const batch = Math.min(free, MAX_RECEIVE_BATCH);
      let views: MessageView[];
      this.reserved += batch;
      try {
        views = await wire.receive(batch, this.options.invisibleDurationMs);
        this.lastError = undefined;
      } catch (error) {
        if (this.currentState !== 'running') return;
        this.lastError = error;
        this.settings.logger?.warn?.(`${this.name}: receive failed, retrying in ${RECEIVE_BACKOFF_MS} ms: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, RECEIVE_BACKOFF_MS));
        continue;
      } finally {
        this.reserved -= batch;
      }
      // Received after stop() began: leave them for redelivery rather than start handlers now.
      if (this.currentState !== 'running') return;
      for (const view of views) this.dispatch(client, view);
    }
  }

  private dispatch(client: SimpleConsumer, view: MessageView): void {
    this.pending++;
    const messageGroup = this.options.fifo ? view.messageGroup : undefined;
    if (!messageGroup) {
      // process() settles every failure itself (retry or dead letter); stop() awaits what is tracked.
      void this.track(this.process(client, view).then(() => undefined));
      return;
    }
    // One message per message group at a time: chain it behind the group's previous one.
    const previous = this.groupChains.get(messageGroup) ?? Promise.resolve();
    const chained = previous.then(() => this.track(this.processInGroup(client, view, messageGroup)));
    this.groupChains.set(messageGroup, chained);
    void chained.then(() => {
      if (this.groupChains.get(messageGroup) !== chained) return;
      this.groupChains.delete(messageGroup);
      this.failedGroups.delete(messageGroup);
    });
  }

  /** Resolves when a handler slot frees up (or stop() begins); shared by every receive loop. */
  private slotFreedSignal(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.slotFreed;
      this.slotFreed = () => {
        this.slotFreed = undefined;
        previous?.();
        resolve();
      };
    });
  }

  private track(run: Promise<void>): Promise<void> {
    const tracked = run.finally(() => {
      this.inFlight.delete(tracked);
      this.pending--;
      this.slotFreed?.();
    });
    this.inFlight.add(tracked);
    return tracked;
  }

  private async processInGroup(client: SimpleConsumer, view: MessageView, messageGroup: string): Promise<void> {
    const failedDelayMs = this.failedGroups.get(messageGroup);
    if (failedDelayMs !== undefined) {
      // An earlier message of this group failed: running this one now would overtake it.
      await this.changeInvisibleDuration(client, view, failedDelayMs);
      return;
    }
    const delayMs = await this.process(client, view);
    if (delayMs !== undefined) this.failedGroups.set(messageGroup, delayMs);
  }

  /** Runs the handler and settles the message; returns the retry delay when it failed. */
  private async process(client: SimpleConsumer, view: MessageView): Promise<number | undefined> {
    let message: MqMessage;
    try {
      message = toMqMessage(view, this.settings.serializer, this.options.group);
    } catch (error) {
      // A body that cannot be decoded will not decode on a retry either.
      this.settings.metrics.messageConsumed(this.options.topic, this.options.group, 'failure');
      this.settings.logger?.error?.(`${this.name}: message ${view.messageId} cannot be decoded, dead-lettering it: ${String(error)}`);
      await this.deadLetter(client, view);
      return undefined;
    }
    const renewal = new InvisibleDurationRenewal(client, view, this.options.invisibleDurationMs, (error) => {
      this.settings.logger?.warn?.(`${this.name}: could not keep ${view.messageId} invisible while its handler runs; it may be redelivered: ${String(error)}`);
    });
    try {
      await this.handler(message);
    } catch (error) {
      await renewal.stop();
      this.settings.metrics.messageConsumed(this.options.topic, this.options.group, 'failure');
      return this.settleFailure(client, view, error);
    }
    await renewal.stop();
    this.settings.metrics.messageConsumed(this.options.topic, this.options.group, 'success');
    try {
      await this.acks!.ack(view);
    } catch (error) {
      // The receipt handle expired (the handler outlived invisibleDurationMs) or the broker is
      // unreachable: the message comes back, the at-least-once contract.
      this.settings.logger?.warn?.(`${this.name}: ack of ${view.messageId} failed, it will be redelivered: ${String(error)}`);
    }
    return undefined;
  }

  private async settleFailure(client: SimpleConsumer, view: MessageView, error: unknown): Promise<number | undefined> {
    const attempt = view.deliveryAttempt ?? 1;
    if (attempt >= this.options.maxAttempts) {
      this.settings.logger?.warn?.(`${this.name}: message ${view.messageId} failed ${attempt} time(s), dead-lettering it: ${String(error)}`);
      await this.deadLetter(client, view);
      return undefined;
    }
    const ladder = this.settings.retryDelaysMs;
    const delayMs = ladder[Math.min(attempt, ladder.length) - 1];
    this.settings.logger?.debug?.(`${this.name}: message ${view.messageId} failed (attempt ${attempt}), retrying in ${delayMs} ms: ${String(error)}`);
    await this.changeInvisibleDuration(client, view, delayMs);
    return delayMs;
  }

  private async changeInvisibleDuration(client: SimpleConsumer, view: MessageView, delayMs: number): Promise<void> {
    try {
      await client.changeInvisibleDuration(view, delayMs);
    } catch (error) {
      this.settings.logger?.warn?.(`${this.name}: could not delay ${view.messageId}; it comes back after its invisible duration: ${String(error)}`);
    }
  }

  private async deadLetter(client: SimpleConsumer, view: MessageView): Promise<void> {
    try {
      await forwardToDeadLetterQueue(client, view, this.options.maxAttempts, this.settings.clientOptions.requestTimeout ?? 3_000);
    } catch (error) {
      this.settings.logger?.error?.(`${this.name}: could not dead-letter ${view.messageId}; it will be redelivered: ${String(error)}`);
    }
  }
}

/** Runner settings from the module's resolved options (checks the retry ladder once). */
export function consumerRunnerSettings(options: ResolvedMqOptions): MqConsumerRunnerSettings {
  validateRetryDelays(options.consumers.retryDelaysMs);
  return {
    clientOptions: buildClientOptions(options),
    serializer: options.serializer,
    retryDelaysMs: options.consumers.retryDelaysMs,
    shutdownTimeoutMs: options.consumers.shutdownTimeoutMs,
    longPollingTimeoutMs: options.consumers.longPollingTimeoutMs,
    receiveWire: options.consumers.receiveWire,
    logger: options.logger === false ? undefined : options.logger,
    metrics: options.metrics,
  };
}
