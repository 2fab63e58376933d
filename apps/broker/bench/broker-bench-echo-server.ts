/**
 * The baseline of the broker benchmark: a bare @grpc/grpc-js unary echo service, no protobuf (the
 * payload bytes are the message), no handler work. Run as a script it serves on 127.0.0.1 on a
 * free port, prints `{"msg":"echo ready","port":N}` and stops on SIGTERM; with the argument
 * `own` it serves the same method on the broker's own gRPC server (GrpcHttp2Server on
 * node:http2, from the broker source the bench built: the working tree, or `--ref`), the floor of
 * one unary call on the broker. Imported, it gives the client side.
 */
import { Client, credentials, Metadata, Server, ServerCredentials, ServiceDefinition, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { ServiceDefinition as ProtoLoaderServiceDefinition } from '@grpc/proto-loader';
import pino from 'pino';

const identity = (value: Buffer): Buffer => value;

const ECHO_PATH = '/bench.Echo/Echo';

const ECHO_SERVICE: ServiceDefinition = {
  Echo: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Client side of the echo service: one channel (one HTTP/2 connection), like the messaging clients. */
export class EchoClient {
  private readonly client: Client;

  constructor(endpoint: string) {
    this.client = new Client(endpoint, credentials.createInsecure());
  }

  echo(payload: Buffer, metadata = new Metadata()): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(ECHO_PATH, identity, identity, payload, metadata, (error, response) =>
        error ? reject(error) : resolve(response as Buffer),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * The echo on the broker's own server: what one unary call costs it with no handler work. Loaded
 * here only, so that the grpc-js echo still runs on a `--ref` older than the broker's own server.
 */
async function serveOnOwnServer(): Promise<void> {
  const { GrpcHttp2Server } = await import('../src/grpc/server/grpc-http2-server');
  const server = new GrpcHttp2Server({
    maxReceiveMessageBytes: 4 * 1024 * 1024,
    flowControlWindowBytes: 1024 * 1024,
    maxConnections: 64,
    onConnectionRefused: () => undefined,
    logger: pino({ level: 'silent' }),
  });
  server.addService(ECHO_SERVICE as unknown as ProtoLoaderServiceDefinition, { Echo: (request, call) => call.respond(request) });
  process.on('SIGTERM', () => void server.tryShutdown().then(() => process.exit(0)));
  const port = await server.listen('127.0.0.1', 0);
  process.stdout.write(`${JSON.stringify({ msg: 'echo ready', port })}\n`);
}

function main(): void {
  if (process.argv[2] === 'own') {
    serveOnOwnServer().catch((error: Error) => {
      process.stderr.write(`echo server (own): ${error.message}\n`);
      process.exit(1);
    });
    return;
  }
  const server = new Server();
  server.addService(ECHO_SERVICE, {
    Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, call.request),
  });
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      process.stderr.write(`echo server: ${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ msg: 'echo ready', port })}\n`);
  });
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

if (require.main === module) main();
