import { TRACE_RECORDER_DEFAULTS, TraceRecorder } from './trace/trace-recorder';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { join } from 'node:path';
import { inspect, types } from 'node:util';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger } from 'pino';
import { BrokerModule } from './broker.module';
import { BrokerConfig } from './config/broker-config';
import { storeOptionsFromConfig } from './config/store-options-from-config';
import { DeliveryOptions } from './delivery/delivery-options';
import { DeliveryService } from './delivery/delivery-service';
import { MessagingServer } from './grpc/messaging-server';
import { MessagingOptions } from './grpc/messaging-options';
import { MESSAGING_DEFAULTS } from './grpc/messaging.defaults';
import { TelemetryProducerChannels } from './grpc/producer-channels';
import { TelemetrySessions, TelemetrySessionsOptions } from './grpc/telemetry-sessions';
import type { ClientsApi } from './broker.tokens';
import { PinoNestLogger } from './pino-nest-logger';
import { Publisher } from './publishing/publisher';
import { DelaySchedulerSettings } from './schedule/delay-scheduler.defaults';
import { DelayScheduler } from './schedule/delay-scheduler';
import { FileMessageStore } from './store/file-message-store';
import { MessageStore, RecoveryReport } from './store/message-store';
import { registerStoreMetrics } from './store/store-metrics';
import { registerDeliveryMetrics } from './delivery/delivery-metrics';
import { MessageCounters } from './trace/message-counters';
import { TraceFanOut } from './trace/trace-fan-out';
import type { TraceSink } from './trace/trace-events';
import { TopicRegistry } from './topics/topic-registry';
import { TransactionMetrics } from './transaction/transaction-metrics';
import { TransactionService, TransactionServiceOptions } from './transaction/transaction-service';
import { readTlsMaterial, TlsMaterial } from './config/tls-material';
import { Authenticator } from './auth/authenticator';
import { UserRegistry } from './auth/user-registry';
import { BearerTokens } from './auth/bearer-tokens';
import { AclRegistry } from './auth/acl-registry';
import { Authorizer } from './auth/authorizer';
import { initAuthenticationUserOf } from './config/broker-config-loader';

/** Where a started broker listens. */
export interface BrokerAddresses {
  host: string;
  /** The bound admin HTTP port (the real one when 0 was configured). */
  httpPort: number;
  /** The bound gRPC port of the RocketMQ v2 messaging service (the real one when 0 was configured). */
  grpcPort: number;
  adminUrl: string;
}

/**
 * Settings of the broker's parts that broker.conf does not carry: tuning with defaults in each
 * part's `*.defaults.ts` (delivery limits, delay scheduler timing, the gRPC layer's proxy-like
 * limits, the transaction layer's scan interval and bounds). Tests shorten timeouts through them.
 * `transaction` may also override the broker.conf transaction settings (transactionTimeoutMs,
 * transactionCheckIntervalMs, transactionCheckMax) for one broker, and `sessions` the client
 * registry's channelExpiredTimeoutMs.
 */
export interface BrokerTuning {
  delivery?: Partial<Omit<DeliveryOptions, 'stateDir'>>;
  scheduler?: Partial<DelaySchedulerSettings>;
  messaging?: Partial<MessagingOptions>;
  /** The client registry's cap and expiry sweep; may override broker.conf's channelExpiredTimeoutMs. */
  sessions?: Partial<TelemetrySessionsOptions>;
  transaction?: Partial<Omit<TransactionServiceOptions, 'stateDir'>>;
}

/** Subdirectory of the store directory for topics, groups, delivery state and schedule progress (RocketMQ's `config/`). */
export const CONFIG_SUBDIR = 'config';

/**
 * The broker process in one object. start() opens, in order: the store (logging what recovery
 * found), the topic registry, the delay scheduler, the delivery engine, the transaction service,
 * the gRPC messaging service and the admin HTTP API; stop() closes them in reverse. Used by main.ts and, in-process, by tests
 * (test/support/broker-harness.ts), so both run the same startup and shutdown.
 */
export class Broker {
  readonly store: MessageStore;
  readonly topics: TopicRegistry;
  readonly scheduler: DelayScheduler;
  readonly delivery: DeliveryService;
  readonly transactions: TransactionService;
  readonly transactionMetrics: TransactionMetrics;
  /** The one write path into topics, shared by the gRPC layer and the admin API. */
  readonly publisher: Publisher;
  readonly messaging: MessagingServer;
  /** Users of authentication (`<storeDir>/config/users.json`), opened with the other registries. */
  readonly users: UserRegistry;
  readonly authenticator: Authenticator;
  /** The admin API's bearer tokens, signed with `<storeDir>/config/token-signing.key` (made at the first start with authentication on). */
  readonly tokens: BearerTokens;
  /** ACLs (`<storeDir>/config/acls.json`) and their check, with authorizationEnabled. */
  readonly acls: AclRegistry;
  readonly authorizer: Authorizer;
  /** The broker's message trace into the trace topic; undefined with traceTopicEnable=false. */
  readonly trace: TraceRecorder | undefined;
  private app: INestApplication | undefined;
  /** Closers of the parts opened so far, last opened first. */
  private readonly opened: Array<{ name: string; close: () => Promise<void> }> = [];
  /** What every part reports about messages: the trace (when on) and the message counters. */
  private readonly messageEvents: TraceSink;
  /** The gRPC layer's clients as the admin API lists them. */
  private readonly clients: ClientsApi;
  private started = false;
  /** start()'s promise: stop() waits for it, so that no part opens after the shutdown closed the others. */
  private starting: Promise<BrokerAddresses> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: BrokerConfig,
    private readonly logger: Logger,
    tuning: BrokerTuning = {},
  ) {
    const stateDir = join(config.storeDir, CONFIG_SUBDIR);
    const messagingOptions: MessagingOptions = {
      ...MESSAGING_DEFAULTS,
      minLongPollingTimeoutMs: config.minLongPollingTimeoutMs,
      maxLongPollingTimeoutMs: config.maxLongPollingTimeoutMs,
      maxConnections: config.maxConnections,
      ...tuning.messaging,
    };
    this.store = new FileMessageStore(storeOptionsFromConfig(config), logger.child({ component: 'store' }));
    this.topics = new TopicRegistry(
      stateDir,
      {
        autoCreateTopicEnable: config.autoCreateTopicEnable,
        defaultTopicQueueNums: config.defaultTopicQueueNums,
        autoCreateSubscriptionGroup: config.autoCreateSubscriptionGroup,
      },
      logger.child({ component: 'topics' }),
    );
    this.scheduler = new DelayScheduler(this.store, { ...tuning.scheduler, stateDir }, logger.child({ component: 'schedule' }));
    // Built before the store opens: the delivery engine follows dispatches, recovery's included.
    // Its long-polling cap is the one the gRPC layer announces to consumers unless tuned apart.
    this.delivery = new DeliveryService(
      this.store,
      this.topics,
      {
        maxLongPollingTimeoutMs: messagingOptions.maxLongPollingTimeoutMs,
        minReceiveInvisibleDurationMs: config.minReceiveInvisibleDurationMs,
        maxInvisibleDurationMs: config.maxInvisibleDurationMs,
        ...tuning.delivery,
        stateDir,
      },
      logger.child({ component: 'delivery' }),
    );
    // The check-back reaches producers through the telemetry sessions the gRPC layer keeps, so
    // the sessions are built first and shared (ProducerChannels, DESIGN.md section 2). Built
    // before the store opens too: the service follows dispatches, recovery's included.
    const grpcLogger = logger.child({ component: 'grpc' });
    const sessions = new TelemetrySessions(grpcLogger, { channelExpiredTimeoutMs: config.channelExpiredTimeoutMs, ...tuning.sessions });
    const channels = new TelemetryProducerChannels(sessions, () => ({ host: config.host, port: this.messaging.port }), grpcLogger);
    this.clients = {
      list: () =>
        sessions
          .list()
          .map((c) => ({ clientId: c.clientId, clientType: c.role, group: c.group, topics: c.topics, connected: c.connected, lastSeenMs: c.lastSeenMs })),
    };
    this.transactionMetrics = new TransactionMetrics();
    registerStoreMetrics(this.transactionMetrics.registry, this.store);
    this.users = new UserRegistry(stateDir, logger.child({ component: 'auth' }));
    this.tokens = new BearerTokens(stateDir, logger.child({ component: 'auth' }));
    this.authenticator = new Authenticator(
      this.users,
      this.tokens,
      { enabled: config.authenticationEnabled, maxClockSkewMs: config.authenticationMaxClockSkewMs },
      logger.child({ component: 'auth' }),
      this.transactionMetrics.registry,
    );
    this.acls = new AclRegistry(stateDir, logger.child({ component: 'auth' }));
    this.authorizer = new Authorizer(this.acls, config.authorizationEnabled, logger.child({ component: 'auth' }), this.transactionMetrics.registry);
    this.trace = config.traceTopicEnable
      ? new TraceRecorder(
          this.store,
          { ...TRACE_RECORDER_DEFAULTS, topic: config.msgTraceTopicName, appTopic: config.appTraceTopicName },
          { storeHost: `${config.host}:${config.grpcPort}` },
          logger.child({ component: 'trace' }),
          this.transactionMetrics.registry,
        )
      : undefined;
    // What SendMessage, ReceiveMessage, AckMessage and the dead-letter queue report goes to the
    // message trace (when on) and to the message counters of GET /metrics (always).
    const messageEvents = new TraceFanOut(this.trace, new MessageCounters(this.transactionMetrics.registry));
    this.messageEvents = messageEvents;
    registerDeliveryMetrics(this.transactionMetrics.registry, this.delivery, this.topics, this.store);
    this.transactions = new TransactionService(
      this.store,
      channels,
      {
        transactionTimeoutMs: config.transactionTimeoutMs,
        transactionCheckIntervalMs: config.transactionCheckIntervalMs,
        transactionCheckMax: config.transactionCheckMax,
        transactionExtensionsEnabled: config.transactionExtensionsEnabled,
        // Transaction ids naming a record larger than the store accepts are answered not-found unread.
        maxMessageSizeBytes: storeOptionsFromConfig(config).maxMessageSizeBytes,
        ...tuning.transaction,
        stateDir,
      },
      logger.child({ component: 'transaction' }),
      this.transactionMetrics,
    );
    this.publisher = new Publisher({ store: this.store, topics: this.topics, delayed: this.scheduler, halfMessages: this.transactions });
    this.messaging = new MessagingServer(
      {
        config,
        options: messagingOptions,
        store: this.store,
        topics: this.topics,
        publisher: this.publisher,
        delivery: this.delivery,
        scheduler: this.scheduler,
        transactions: this.transactions,
        sessions,
        authenticator: this.authenticator,
        authorizer: this.authorizer,
        trace: messageEvents,
      },
      grpcLogger,
    );
    this.transactions.setTraceSink(this.trace);
    this.delivery.setTraceSink(messageEvents);
  }

  /**
   * Opens every part and starts listening. On failure, releases whatever was opened and rethrows.
   * A stop() during the start makes it end before it listens, closing what it opened.
   */
  start(): Promise<BrokerAddresses> {
    if (this.started) return Promise.reject(new Error('Broker.start() may be called once'));
    this.started = true;
    this.starting = this.open();
    return this.starting;
  }

  private async open(): Promise<BrokerAddresses> {
    this.logger.info({ config: this.config }, 'broker starting');
    try {
      // Before anything opens: a bad certificate path stops the broker at once, naming the key.
      const tls = readTlsMaterial(this.config);
      this.logRecovery(await this.store.open());
      this.opened.push({ name: 'store', close: () => this.store.close() });
      // Closed after every part that records (they all close first) and before the store: what is queued is appended.
      const trace = this.trace;
      if (trace) this.opened.push({ name: 'trace', close: () => trace.close() });
      await this.topics.open();
      this.opened.push({ name: 'topics', close: () => this.topics.close() });
      if (trace && !this.topics.get(trace.topic)) {
        await this.topics.upsert({ name: trace.topic, readQueueNums: 1, writeQueueNums: 1, messageType: 'NORMAL', system: true });
      }
      // Applications' trace events (libs/mq) come over gRPC, which refuses system topics: a normal topic.
      if (trace && !this.topics.get(this.config.appTraceTopicName)) {
        await this.topics.upsert({ name: this.config.appTraceTopicName, readQueueNums: 1, writeQueueNums: 1, messageType: 'NORMAL' });
      }
      await this.users.open(initAuthenticationUserOf(this.config));
      this.opened.push({ name: 'users', close: () => this.users.close() });
      // Only with authentication on: a broker that never checks credentials keeps no signing key.
      if (this.config.authenticationEnabled) await this.tokens.open();
      await this.acls.open();
      this.opened.push({ name: 'acls', close: () => this.acls.close() });
      await this.scheduler.open();
      this.opened.push({ name: 'scheduler', close: () => this.scheduler.close() });
      await this.delivery.open();
      this.opened.push({ name: 'delivery', close: () => this.delivery.close() });
      // After the store (it catches up with the log) and before gRPC (which hands it EndTransaction);
      // closed before delivery and the store, so resolutions under way still reach both.
      await this.transactions.open();
      this.opened.push({ name: 'transactions', close: () => this.transactions.close() });
      // Recovery can take long; a stop asked meanwhile ends the start here, before anything listens.
      if (this.stopping) throw new Error('the broker was stopped while it was starting');
      this.opened.push({ name: 'grpc', close: () => this.messaging.close() });
      await this.messaging.open(tls);
      this.app = await this.createHttpApp(tls);
      this.opened.push({ name: 'http', close: () => this.app!.close() });
      await this.app.listen(this.config.httpPort, this.config.host);
    } catch (error) {
      await this.shutdown();
      throw error;
    }
    const addresses = this.addresses();
    this.logger.info(addresses, 'broker ready');
    return addresses;
  }

  /**
   * Stops accepting requests (HTTP, then gRPC, which ends long polls and telemetry streams), then
   * closes the transaction service (writing its state file), delivery (writing group state), the
   * scheduler, the topic registry and the store (which
   * flushes and writes the clean-shutdown marker). Safe to call more than once, and after a failed
   * start. During a start it waits for the start to end (which then stops before listening). A
   * part that fails to close does not keep the others open; the first error is rethrown.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.starting?.catch(() => undefined);
      await this.shutdown();
    })();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.logger.info('broker stopping');
    let firstError: unknown;
    while (this.opened.length > 0) {
      const part = this.opened.pop()!;
      try {
        await part.close();
      } catch (error) {
        this.logger.error({ err: error, part: part.name }, 'closing a broker part failed');
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw types.isNativeError(firstError) ? firstError : new Error(inspect(firstError), { cause: firstError });
    this.logger.info('broker stopped');
  }

  private async createHttpApp(tls: TlsMaterial | undefined): Promise<INestApplication> {
    // Admin endpoints report the gRPC port clients can reach, the bound one when 0 was configured.
    const config = { ...this.config, grpcPort: this.messaging.port };
    const module = BrokerModule.register({
      store: this.store,
      config,
      topics: this.topics,
      publisher: this.publisher,
      delivery: this.delivery,
      scheduler: this.scheduler,
      transactions: this.transactions,
      trace: this.trace,
      clients: this.clients,
      messageEvents: this.messageEvents,
      metricsRegistry: this.transactionMetrics.registry,
      users: this.users,
      authenticator: this.authenticator,
      tokens: this.tokens,
      acls: this.acls,
    });
    return NestFactory.create(module, new ExpressAdapter(), {
      logger: new PinoNestLogger(this.logger.child({ component: 'http' })),
      // Nest's default is process.abort() on a bootstrap error, which would kill a test runner
      // hosting the broker in-process; rethrowing lets start() clean up and report.
      abortOnError: false,
      // Without this, close() waits for idle keep-alive connections and shutdown can hang.
      forceCloseConnections: true,
      // The admin API on TLS with the gRPC endpoint's certificate (tlsMode permissive or enforcing; client certificates are a gRPC setting).
      ...(tls ? { httpsOptions: { cert: tls.cert, key: tls.key } } : {}),
    });
  }

  private addresses(): BrokerAddresses {
    const address = (this.app?.getHttpServer() as Server | undefined)?.address() as AddressInfo;
    const host = this.config.host;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return {
      host,
      httpPort: address.port,
      grpcPort: this.messaging.port,
      adminUrl: `${this.config.tlsMode === 'disabled' ? 'http' : 'https'}://${urlHost}:${address.port}`,
    };
  }

  private logRecovery(report: RecoveryReport): void {
    // A crash recovery or a repair may have cut data; operators should see it at warn level.
    const lostSomething = report.mode === 'crash' || report.truncatedBytes > 0 || report.repaired !== undefined;
    this.logger[lostSomething ? 'warn' : 'info']({ recovery: report }, 'store opened');
  }
}
