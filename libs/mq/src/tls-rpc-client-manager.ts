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

  queryRoute(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('queryRoute', endpoints, request, duration);
  }

  heartbeat(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('heartbeat', endpoints, request, duration);
  }

  sendMessage(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('sendMessage', endpoints, request, duration);
  }

  queryAssignment(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('queryAssignment', endpoints, request, duration);
  }

  receiveMessage(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown[]> {
    return this.serverStream('receiveMessage', endpoints, request, duration);
  }

  ackMessage(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('ackMessage', endpoints, request, duration);
  }

  forwardMessageToDeadLetterQueue(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('forwardMessageToDeadLetterQueue', endpoints, request, duration);
  }

  pullMessage(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown[]> {
    return this.serverStream('pullMessage', endpoints, request, duration);
  }

  updateOffset(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('updateOffset', endpoints, request, duration);
  }

  getOffset(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('getOffset', endpoints, request, duration);
  }

  queryOffset(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('queryOffset', endpoints, request, duration);
  }

  endTransaction(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('endTransaction', endpoints, request, duration);
  }

  telemetry(endpoints: Endpoints, metadata: Metadata): ClientDuplexStream<TelemetryCommand, TelemetryCommand> {
    return this.client(endpoints).telemetry(metadata);
  }

  changeInvisibleDuration(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('changeInvisibleDuration', endpoints, request, duration);
  }

  notifyClientTermination(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('notifyClientTermination', endpoints, request, duration);
  }

  recallMessage(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('recallMessage', endpoints, request, duration);
  }

  syncLiteSubscription(endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    return this.unary('syncLiteSubscription', endpoints, request, duration);
  }

  private unary(method: string, endpoints: Endpoints, request: unknown, duration: number): Promise<unknown> {
    const client = this.client(endpoints);
    const call = (client as unknown as Record<string, UnaryMethod>)[method].bind(client);
    return new Promise((resolve, reject) => {
      call(request, this.owner.getRequestMetadata(), { deadline: Date.now() + duration }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }

  private async serverStream(method: string, endpoints: Endpoints, request: unknown, duration: number): Promise<unknown[]> {
    const client = this.client(endpoints);
    const call = (client as unknown as Record<string, StreamMethod>)[method].bind(client);
    const responses: unknown[] = [];
    for await (const response of call(request, this.owner.getRequestMetadata(), { deadline: Date.now() + duration })) responses.push(response);
    return responses;
  }

  private client(endpoints: Endpoints): MessagingServiceClient {
    let client = this.clients.get(endpoints.facade);
    if (!client) {
      client = new MessagingServiceClient(endpoints.getGrpcTarget(), this.credentials);
      this.clients.set(endpoints.facade, client);
    }
    return client;
  }
}
