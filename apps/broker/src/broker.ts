import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { Logger } from 'pino';
import { BrokerModule } from './broker.module';
import { BrokerConfig } from './config/broker-config';
import { storeOptionsFromConfig } from './config/store-options-from-config';
import { PinoNestLogger } from './pino-nest-logger';
import { FileMessageStore } from './store/file-message-store';
import { MessageStore, RecoveryReport } from './store/message-store';

/** Where a started broker listens. */
export interface BrokerAddresses {
  host: string;
  /** The bound admin HTTP port (the real one when 0 was configured). */
  httpPort: number;
  /**
   * The configured gRPC port. Nothing listens on it yet: the protocol issue adds the gRPC server,
   * and then this becomes the bound port.
   */
  grpcPort: number;
  adminUrl: string;
}

/**
 * The broker process in one object: opens the store (logging what recovery found), then serves
 * the admin HTTP API; stops in the reverse order. Used by main.ts and, in-process, by tests
 * (test/support/broker-harness.ts), so both run the same startup and shutdown.
 */
export class Broker {
  readonly store: MessageStore;
  private app: INestApplication | undefined;
  private storeOpened = false;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {
    this.store = new FileMessageStore(storeOptionsFromConfig(config), logger.child({ component: 'store' }));
  }

  /** Opens the store and starts listening. On failure, releases whatever was opened and rethrows. */
  async start(): Promise<BrokerAddresses> {
    if (this.started) throw new Error('Broker.start() may be called once');
    this.started = true;
    this.logger.info({ config: this.config }, 'broker starting');
    try {
      const report = await this.store.open();
      this.storeOpened = true;
      this.logRecovery(report);
      this.app = await this.createHttpApp();
      await this.app.listen(this.config.httpPort, this.config.host);
    } catch (error) {
      await this.stop();
      throw error;
    }
    const addresses = this.addresses();
    this.logger.info(
      { ...addresses, grpcServed: false, note: 'gRPC is not served yet; grpcPort is reserved for the protocol' },
      'broker ready',
    );
    return addresses;
  }

  /**
   * Stops accepting HTTP requests, then closes the store (which flushes and writes the
   * clean-shutdown marker). Safe to call more than once, and after a failed start.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.logger.info('broker stopping');
    try {
      // Close the HTTP server first so no request reaches a store that is shutting down.
      await this.app?.close();
    } finally {
      if (this.storeOpened) await this.store.close();
    }
    this.logger.info('broker stopped');
  }

  private async createHttpApp(): Promise<INestApplication> {
    return NestFactory.create(BrokerModule.register({ store: this.store, config: this.config }), new ExpressAdapter(), {
      logger: new PinoNestLogger(this.logger.child({ component: 'http' })),
      // Nest's default is process.abort() on a bootstrap error, which would kill a test runner
      // hosting the broker in-process; rethrowing lets start() clean up and report.
      abortOnError: false,
      // Without this, close() waits for idle keep-alive connections and shutdown can hang.
      forceCloseConnections: true,
    });
  }

  private addresses(): BrokerAddresses {
    const address = this.app?.getHttpServer().address() as AddressInfo;
    const host = this.config.host;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return {
      host,
      httpPort: address.port,
      grpcPort: this.config.grpcPort,
      adminUrl: `http://${urlHost}:${address.port}`,
    };
  }

  private logRecovery(report: RecoveryReport): void {
    // A crash recovery or a repair may have cut data; operators should see it at warn level.
    const lostSomething = report.mode === 'crash' || report.truncatedBytes > 0 || report.repaired !== undefined;
    this.logger[lostSomething ? 'warn' : 'info']({ recovery: report }, 'store opened');
  }
}
