import { format } from 'node:util';
import { ILogger, Producer, ProducerOptions, PushConsumer, PushConsumerOptions, SimpleConsumer, SimpleConsumerOptions } from 'rocketmq-client-nodejs';

/**
 * The official RocketMQ Node client (`rocketmq-client-nodejs`) in tests, closed fully afterwards.
 *
 * Two quirks of the client make this necessary:
 * - Without a `logger` option a client logs to `~/logs/rocketmq/rocketmq_client_nodejs.log`.
 * - Push consumers' consume services always create that default logger themselves
 *   (StandardConsumeService, FifoConsumeService), an egg-logger whose buffered file transport
 *   flushes on a setInterval that is never cleared: it would keep the Jest worker alive after
 *   shutdown(). `quietDefaultLogger()` replaces the factory for this test file's module instance.
 *
 * Clients must be shut down before the broker stops: a client's shutdown() calls
 * NotifyClientTermination, and a telemetry stream that the broker ends makes the client reconnect
 * every second until it is shut down.
 *
 * Transactions, as the client (1.0.8) handles them:
 * - A checker answering TRANSACTION_RESOLUTION_UNSPECIFIED ("unknown") makes the client send no
 *   EndTransaction at all; the broker only sees silence, then checks again.
 * - It decodes a RecoverOrphanedTransactionCommand's message with MessageView, which throws
 *   without a body digest: the check is then logged as a bug and dropped. It reads the message
 *   id before that, outside any try, so a command without system properties is an unhandled
 *   rejection in the producer process.
 * - It answers a check-back with EndTransaction(SOURCE_SERVER_CHECK) on the endpoints of the
 *   telemetry stream the command came on, with the topic and id of the message it was sent.
 * - A producer is only known to publish a topic (and so asked about it) once it declares it in
 *   `topics` or has sent to it: a fresh process that is to answer check-backs must declare it.
 * - One message per transaction (Transaction.MAX_MESSAGE_NUM); no message group or delivery
 *   time; a failed transactional send is not retried.
 * - After the broker goes away, its telemetry stream is renewed every second and the settings
 *   sent again, so a producer outlives a broker restart and answers check-backs afterwards.
 */

const LOG_LEVEL = process.env.TEST_CLIENT_LOG_LEVEL;

/** A logger for the client: silent unless TEST_CLIENT_LOG_LEVEL is set (then everything to stderr). */
export const testClientLogger: ILogger = LOG_LEVEL
  ? {
      info: (...args: unknown[]) => process.stderr.write(`[client info] ${format(...args)}\n`),
      warn: (...args: unknown[]) => process.stderr.write(`[client warn] ${format(...args)}\n`),
      error: (...args: unknown[]) => process.stderr.write(`[client error] ${format(...args)}\n`),
      debug: (...args: unknown[]) => process.stderr.write(`[client debug] ${format(...args)}\n`),
    }
  : { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** Makes the client's internal default loggers the quiet test logger (see the module comment). */
export function quietDefaultLogger(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loggerModule = require('rocketmq-client-nodejs/dist/client/Logger') as { getDefaultLogger: () => ILogger };
  loggerModule.getDefaultLogger = () => testClientLogger;
}

type Client = Producer | SimpleConsumer | PushConsumer;

/** Creates and starts official clients against one endpoint; shutdownAll() closes them all. */
export class OfficialClients {
  private readonly clients: Client[] = [];

  constructor(private readonly endpoints: string) {
    quietDefaultLogger();
  }

  async producer(options: Partial<ProducerOptions> = {}): Promise<Producer> {
    return this.start(new Producer({ endpoints: this.endpoints, namespace: '', sslEnabled: false, logger: testClientLogger, ...options }));
  }

  async simpleConsumer(options: Omit<SimpleConsumerOptions, 'endpoints' | 'namespace'> & { namespace?: string }): Promise<SimpleConsumer> {
    return this.start(new SimpleConsumer({ endpoints: this.endpoints, namespace: '', sslEnabled: false, logger: testClientLogger, ...options }));
  }

  async pushConsumer(options: Omit<PushConsumerOptions, 'endpoints' | 'namespace'> & { namespace?: string }): Promise<PushConsumer> {
    return this.start(new PushConsumer({ endpoints: this.endpoints, namespace: '', sslEnabled: false, logger: testClientLogger, ...options }));
  }

  /** Shuts a client down now (it is not shut down again by shutdownAll). */
  async shutdown(client: Client): Promise<void> {
    const index = this.clients.indexOf(client);
    if (index >= 0) this.clients.splice(index, 1);
    await client.shutdown();
  }

  async shutdownAll(): Promise<void> {
    const clients = this.clients.splice(0);
    await Promise.all(clients.map((client) => client.shutdown().catch(() => undefined)));
  }

  private async start<T extends Client>(client: T): Promise<T> {
    // Tracked before startup so a client whose startup fails half-way is still shut down.
    this.clients.push(client);
    await client.startup();
    return client;
  }
}
