import { ChannelCredentials, ClientDuplexStream, Metadata, ServiceError } from '@grpc/grpc-js';
import { Endpoints, RpcClientManager } from 'rocketmq-client-nodejs';
import { MessagingServiceClient } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb';
import type { TelemetryCommand } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb';

/** PEM material of a TLS client: the CAs to trust, and a certificate with its key for brokers that ask for one. */
export interface MqTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The part of the official client a manager reads: the signed request headers of each call. */
interface RequestMetadataSource {
  getRequestMetadata(): Metadata;
}

type UnaryCallback = (error: ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: UnaryCallback) => unknown;
type StreamMethod = (request: unknown, metadata: Metadata, options: { deadline: number }) => AsyncIterable<unknown>;

/**
 * The official client's RpcClientManager with channel credentials of the application's choosing:
 * rocketmq-client-nodejs 1.0.8 builds every channel with `ChannelCredentials.createSsl()` and no
 * arguments (RpcClient.js), so a broker whose certificate a private CA signed, or one that requires
 * a client certificate (`tls.server.need.client.auth`), could only be reached through the
 * process-wide GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, and a client certificate not at all.
 *
 * Same public methods, same calls: one grpc-js MessagingServiceClient (the client's own generated
 * stub) per endpoints, each request with the client's signed metadata and a deadline of `duration`,
 * server-streaming calls collected into an array, Telemetry handed back as the duplex stream.
 * OfficialProducer / OfficialSimpleConsumer put it in place of the client's own when `tls` carries
 * material (official-clients.ts).
 */
export class TlsRpcClientManager {
  private readonly clients = new Map<string, MessagingServiceClient>();

  constructor(
    private readonly owner: RequestMetadataSource,
    private readonly credentials: ChannelCredentials,
  ) {}

  /** A manager in the official type, for assignment to `rpcClientManager`. */
  static for(owner: RequestMetadataSource, material: MqTlsMaterial): RpcClientManager {
    const credentials = ChannelCredentials.createSsl(material.ca ?? null, material.key ?? null, material.cert ?? null);
    return new TlsRpcClientManager(owner, credentials) as unknown as RpcClientManager;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  telemetry(endpoints: Endpoints, metadata: Metadata): ClientDuplexStream<TelemetryCommand, TelemetryCommand> {
    return this.client(endpoints).telemetry(metadata);
  }

  /** One unary call of the client's stub: the client's signed metadata, a deadline of `duration`. */
  unary(method: string, endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    const client = this.client(endpoints);
    const call = (client as unknown as Record<string, UnaryMethod>)[method].bind(client);
    return new Promise((resolve, reject) => {
      call(request, this.owner.getRequestMetadata(), { deadline: Date.now() + duration }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }

  /** One server-streaming call, its answers collected (as RpcClient.receiveMessage does). */
  async serverStream(method: string, endpoints: Endpoints, request: unknown, duration: number): Promise<unknown[]> {
    const client = this.client(endpoints);
    const call = (client as unknown as Record<string, StreamMethod>)[method].bind(client);
    const responses: unknown[] = [];
    for await (const response of call(request, this.owner.getRequestMetadata(), { deadline: Date.now() + duration })) responses.push(response);
    return responses;
  }

  /** The stub for `endpoints`, one per endpoints, built with this manager's credentials. */
  private client(endpoints: Endpoints): MessagingServiceClient {
    let client = this.clients.get(endpoints.facade);
    if (!client) {
      client = new MessagingServiceClient(endpoints.getGrpcTarget(), this.credentials);
      this.clients.set(endpoints.facade, client);
    }
    return client;
  }
}

/** The official RpcClientManager's unary and server-streaming methods: each is one call of the generated stub. */
const UNARY_METHODS = [
  'queryRoute',
  'heartbeat',
  'sendMessage',
  'queryAssignment',
  'ackMessage',
  'forwardMessageToDeadLetterQueue',
  'updateOffset',
  'getOffset',
  'queryOffset',
  'endTransaction',
  'changeInvisibleDuration',
  'notifyClientTermination',
  'recallMessage',
  'syncLiteSubscription',
] as const;
const STREAM_METHODS = ['receiveMessage', 'pullMessage'] as const;

for (const method of UNARY_METHODS) {
  Object.defineProperty(TlsRpcClientManager.prototype, method, {
    value(this: TlsRpcClientManager, endpoints: Endpoints, request: unknown, duration: number) {
      return this.unary(method, endpoints, request, duration);
    },
  });
}
for (const method of STREAM_METHODS) {
  Object.defineProperty(TlsRpcClientManager.prototype, method, {
    value(this: TlsRpcClientManager, endpoints: Endpoints, request: unknown, duration: number) {
      return this.serverStream(method, endpoints, request, duration);
    },
  });
}
