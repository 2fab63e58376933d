import { EventEmitter } from 'node:events';
import { BaseClient, Endpoints, FilterExpression, MessageQueue, Producer, RpcClientManager, SimpleConsumer, TopicRouteData } from 'rocketmq-client-nodejs';
import type { ReceiveMessageRequest } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';
import type { MqClientOptions } from './mq-client-options';
import { MqTlsMaterial, TlsRpcClientManager } from './tls-rpc-client-manager';

type TelemetryStream = ReturnType<BaseClient['createTelemetryStream']>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin constructor shape TypeScript requires
type ClientClass<T extends BaseClient> = abstract new (...args: any[]) => T;

/**
 * The official clients with two shutdown defects of rocketmq-client-nodejs 1.0.8 fixed, both seen
 * when the broker is gone before the application stops (test/mq-transaction-producer.e2e-spec.ts
 * and test/mq-consumer.e2e-spec.ts, "broker is gone": the Jest worker never exited):
 * - `shutdown()` first awaits NotifyClientTermination on every route endpoint and only then
 *   releases telemetry sessions and gRPC channels; when the broker is unreachable that call
 *   rejects and shutdown() stops half-way. Here the notification is best effort (the broker also
 *   notices a vanished client by its missing heartbeats), so shutdown always finishes.
 * - A telemetry stream that ends or fails is renewed one second later by a timer that ignores
 *   shutdown: against a dead broker it fails again and again, forever, keeping the process alive.
 *   After shutdown, the renewal gets an inert stream and the loop ends.
 */
function withCompleteShutdown<T extends BaseClient>(Client: ClientClass<T>) {
  abstract class CompleteShutdown extends (Client as ClientClass<BaseClient>) {
    private shutDown = false;

    override async shutdown(): Promise<void> {
      this.shutDown = true;
      const manager = this.rpcClientManager;
      const notify = manager.notifyClientTermination.bind(manager);
      manager.notifyClientTermination = (async (...args: Parameters<typeof notify>) => {
        try {
          return await notify(...args);
        } catch (error) {
          this.logger.warn('NotifyClientTermination failed, shutting down anyway, clientId=%s, error=%s', this.clientId, error);
          return undefined;
        }
      }) as typeof notify;
      await super.shutdown();
    }

    override createTelemetryStream(endpoints: Endpoints): TelemetryStream {
      if (!this.shutDown) return super.createTelemetryStream(endpoints);
      const inert = Object.assign(new EventEmitter(), { write: () => true, end: () => undefined });
      return inert as unknown as TelemetryStream;
    }
  }
  return CompleteShutdown as unknown as ClientClass<T>;
}

/**
 * The official clients with the application's TLS material (`MqClientOptions.tlsMaterial`: a CA,
 * a client certificate) on every channel: the client's own RpcClientManager gives grpc-js
 * `createSsl()` with no arguments, so it is replaced by one that builds the same stubs with these
 * credentials (tls-rpc-client-manager.ts). Without material nothing changes.
 */
function withTlsMaterial<T extends BaseClient>(Client: ClientClass<T>) {
  abstract class TlsMaterial extends (Client as ClientClass<BaseClient>) {
    /** The material given, for libs/mq's own node:http2 wire to the same endpoints. */
    readonly tlsMaterial?: MqTlsMaterial;

    constructor(options: MqClientOptions) {
      super(options);
      const material = options.tlsMaterial;
      if (!material) return;
      // The client's manager has opened no channel yet; close() stops its idle-check timer.
      this.rpcClientManager.close();
      (this as unknown as { rpcClientManager: RpcClientManager }).rpcClientManager = TlsRpcClientManager.for(this, material);
      this.tlsMaterial = material;
    }
  }
  return TlsMaterial as unknown as ClientClass<T>;
}

/**
 * The official Producer whose shutdown completes against a dead broker, on the application's TLS
 * material, with the three protected
 * parts the transactional wire (wire/) shares with the client's own sends.
 */
export class OfficialProducer extends (withTlsMaterial(withCompleteShutdown(Producer)) as unknown as typeof Producer) {
  /** The TLS material of the client's channels (withTlsMaterial), if the application gave some. */
  declare readonly tlsMaterial?: MqTlsMaterial;

  /** The topic's route from the client's cache (fetched on first use, refreshed by the client every 30 s). */
  routeOf(topic: string): Promise<TopicRouteData> {
    return this.getRouteData(topic);
  }

  /** Endpoints the client's queue choice skips after a failed send. */
  isolatedEndpoints(): Map<string, Endpoints> {
    return this.isolated;
  }

  /** Skips these endpoints in later queue choices until the client's health check clears them, as the client's own failed sends do. */
  isolateEndpoints(endpoints: Endpoints): void {
    this.isolated.set(endpoints.facade, endpoints);
  }
}

/**
 * The official SimpleConsumer whose shutdown completes against a dead broker, on the application's
 * TLS material, with the two protected parts the receive wire (wire/http2-receive-wire.ts) shares
 * with the client's own receive.
 */
export class OfficialSimpleConsumer extends (withTlsMaterial(withCompleteShutdown(SimpleConsumer)) as unknown as typeof SimpleConsumer) {
  /** The TLS material of the client's channels (withTlsMaterial), if the application gave some. */
  declare readonly tlsMaterial?: MqTlsMaterial;

  /** The topic's route from the client's cache (fetched on first use, refreshed by the client every 30 s). */
  routeOf(topic: string): Promise<TopicRouteData> {
    return this.getRouteData(topic);
  }

  /** The ReceiveMessage request exactly as the client's receive() builds it. */
  receiveRequest(
    batchSize: number,
    queue: MessageQueue,
    filter: FilterExpression,
    invisibleDurationMs: number,
    longPollingTimeoutMs: number,
  ): ReceiveMessageRequest {
    return this.wrapReceiveMessageRequest(batchSize, queue, filter, invisibleDurationMs, longPollingTimeoutMs);
  }
}
