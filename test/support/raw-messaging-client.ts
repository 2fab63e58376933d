import { ChannelCredentials, ChannelOptions, ClientDuplexStream, ClientReadableStream, credentials, Client, Metadata, MethodDefinition } from '@grpc/grpc-js';
import { loadMessagingService } from '../../apps/broker/src/grpc/proto-loader';
import { TelemetryCommand } from '../../apps/broker/src/grpc/messaging.types';

/** Per-call choices of RawMessagingClient. */
export interface RawCallOptions {
  /** `x-mq-client-id`; null sends none. Defaults to the client's id. */
  clientId?: string | null;
  /** Call deadline from now. Defaults to 10 s. */
  deadlineMs?: number;
  /** More request headers (a signature, for instance). */
  headers?: Record<string, string>;
}

/**
 * A bare gRPC client of `apache.rocketmq.v2.MessagingService` for tests: plain objects in and out
 * (the broker's proto-loader options), no client-side validation, so tests can send what the
 * official clients never would.
 */
export class RawMessagingClient {
  private readonly client: Client;
  private readonly service = loadMessagingService();

  constructor(
    endpoint: string,
    readonly clientId = `raw-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    channelCredentials: ChannelCredentials = credentials.createInsecure(),
    /** grpc-js channel options; `{ 'grpc.use_local_subchannel_pool': 1 }` gives this client a connection of its own. */
    channelOptions: ChannelOptions = {},
  ) {
    this.client = new Client(endpoint, channelCredentials, channelOptions);
  }

  unary<Response>(method: string, request: object, options: RawCallOptions = {}): Promise<Response> {
    const definition = this.method(method);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        this.metadata(options),
        { deadline: Date.now() + (options.deadlineMs ?? 10_000) },
        (error, response) => (error ? reject(error) : resolve(response as Response)),
      );
    });
  }

  /** A server-streaming call (ReceiveMessage, PullMessage): every frame, once the stream ended. */
  async stream<Frame>(method: string, request: object, options: RawCallOptions = {}): Promise<Frame[]> {
    const call = this.openStream(method, request, options);
    const frames: Frame[] = [];
    for await (const frame of call) frames.push(frame as Frame);
    return frames;
  }

  /** Starts a server-streaming call and returns it (to cancel it, for instance). */
  openStream(method: string, request: object, options: RawCallOptions = {}): ClientReadableStream<object> {
    const definition = this.method(method);
    return this.client.makeServerStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request, this.metadata(options), {
      deadline: Date.now() + (options.deadlineMs ?? 10_000),
    });
  }

  /** Opens a Telemetry stream; the caller writes commands and ends it. */
  telemetry(options: RawCallOptions = {}): ClientDuplexStream<TelemetryCommand, TelemetryCommand> {
    const definition = this.method('Telemetry');
    return this.client.makeBidiStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, this.metadata(options));
  }

  close(): void {
    this.client.close();
  }

  private method(name: string): MethodDefinition<object, object> {
    const definition = this.service[name] as MethodDefinition<object, object> | undefined;
    if (!definition) throw new Error(`no such RPC: ${name}`);
    return definition;
  }

  private metadata(options: RawCallOptions): Metadata {
    const metadata = new Metadata();
    const clientId = options.clientId === undefined ? this.clientId : options.clientId;
    for (const [name, value] of Object.entries(options.headers ?? {})) metadata.set(name, value);
    if (clientId !== null) metadata.set('x-mq-client-id', clientId);
    metadata.set('x-mq-protocol', 'v2');
    return metadata;
  }
}
