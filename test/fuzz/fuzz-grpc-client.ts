import { Client, ClientDuplexStream, credentials, Metadata, MethodDefinition, ServiceError } from '@grpc/grpc-js';
import { loadMessagingService } from '../../apps/broker/src/grpc/proto-loader';
import { STREAMING_RPCS } from './grpc-request-arbitraries';

/** What the broker answered one call: a response, the frames of a stream, or a gRPC error. */
export type GrpcAnswer =
  | { kind: 'unary'; response: Record<string, unknown> }
  | { kind: 'stream'; frames: Record<string, unknown>[] }
  | { kind: 'error'; code: number; details: string; frames?: Record<string, unknown>[] };

type ErrorAnswer = Extract<GrpcAnswer, { kind: 'error' }>;

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A gRPC client that sends request bytes as they are, so requests can be malformed on the wire;
 * answers are decoded with the service's own deserializers.
 */
export class FuzzGrpcClient {
  private readonly client: Client;
  private readonly service = loadMessagingService();

  constructor(endpoint: string) {
    this.client = new Client(endpoint, credentials.createInsecure(), { 'grpc.max_receive_message_length': 256 * 1024 * 1024 });
  }

  /** The request object encoded as the official clients would; undefined when protobufjs refuses it. */
  encode(rpc: string, request: object): Buffer | undefined {
    try {
      return this.method(rpc).requestSerialize(request);
    } catch {
      return undefined;
    }
  }

  call(rpc: string, bytes: Buffer, clientId: string | null, deadlineMs: number): Promise<GrpcAnswer> {
    const method = this.method(rpc);
    const options = { deadline: Date.now() + deadlineMs };
    if (!STREAMING_RPCS.has(rpc)) {
      return new Promise((resolve) => {
        this.client.makeUnaryRequest(method.path, identity, method.responseDeserialize, bytes, metadata(clientId), options, (error, response) =>
          resolve(error ? errorAnswer(error) : { kind: 'unary', response: response as Record<string, unknown> }),
        );
      });
    }
    return new Promise((resolve) => {
      const frames: Record<string, unknown>[] = [];
      const stream = this.client.makeServerStreamRequest(method.path, identity, method.responseDeserialize, bytes, metadata(clientId), options);
      stream.on('data', (frame: Record<string, unknown>) => frames.push(frame));
      stream.on('error', (error: ServiceError) => resolve({ ...errorAnswer(error), frames }));
      stream.on('end', () => resolve({ kind: 'stream', frames }));
    });
  }

  /** A Telemetry stream taking raw command bytes. */
  telemetry(clientId: string | null): ClientDuplexStream<Buffer, Record<string, unknown>> {
    const method = this.method('Telemetry');
    const deserialize = method.responseDeserialize as (bytes: Buffer) => Record<string, unknown>;
    return this.client.makeBidiStreamRequest(method.path, identity, deserialize, metadata(clientId));
  }

  close(): void {
    this.client.close();
  }

  private method(rpc: string): MethodDefinition<object, object> {
    const method = this.service[rpc] as MethodDefinition<object, object> | undefined;
    if (!method) throw new Error(`fuzz: no such RPC ${rpc}`);
    return method;
  }
}

function errorAnswer(error: ServiceError): ErrorAnswer {
  return { kind: 'error', code: error.code, details: error.details };
}

function metadata(clientId: string | null): Metadata {
  const result = new Metadata();
  if (clientId !== null) {
    // grpc-js refuses header values that are not printable ASCII before sending anything.
    result.set('x-mq-client-id', /^[\x20-\x7e]*$/.test(clientId) ? clientId : encodeURIComponent(clientId));
  }
  result.set('x-mq-protocol', 'v2');
  return result;
}
