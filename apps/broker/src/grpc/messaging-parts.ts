import { TraceSink } from '../trace/trace-events';
import { Logger } from 'pino';
import { BrokerConfig } from '../config/broker-config';
import { DeliveryApi } from '../delivery/delivery.types';
import { Publisher } from '../publishing/publisher';
import { DelaySchedulerApi } from '../schedule/delay-scheduler.types';
import { MessageStore } from '../store/message-store';
import { TopicsApi } from '../topics/topic-config';
import { TransactionApi } from '../transaction/transaction.types';
import { MessagingOptions } from './messaging-options';
import { TelemetrySessions } from './telemetry-sessions';
import type { Authenticator } from '../auth/authenticator';
import type { Authorizer } from '../auth/authorizer';

/** Where clients reach this broker: the advertised host and the bound gRPC port. */
export interface AdvertisedAddress {
  host: string;
  port: number;
}

/** The broker parts the RPC handlers work on, built and opened by Broker. */
export interface MessagingParts {
  config: BrokerConfig;
  options: MessagingOptions;
  store: MessageStore;
  topics: TopicsApi;
  /** The one write path (SendMessage): topic and type checks, the queue by message group, routing to store, scheduler or transactions. */
  publisher: Publisher;
  delivery: DeliveryApi;
  scheduler: DelaySchedulerApi;
  transactions: TransactionApi;
  /**
   * Live clients and their telemetry streams. Built by the Broker, not the server, because the
   * transaction layer's check-back reaches producers through them (producer-channels.ts).
   */
  sessions: TelemetrySessions;
  /** Checks each request's signature when authentication is enabled; absent: every request is let in. */
  authenticator?: Authenticator;
  /** Checks an authenticated request's permissions when authorization is enabled. */
  authorizer?: Authorizer;
  /** The broker's message trace (trace/trace-recorder.ts); absent when traceTopicEnable is off. */
  trace?: TraceSink;
  /** Known once the server is bound (port 0 picks a free port). */
  address(): AdvertisedAddress;
  logger: Logger;
}
