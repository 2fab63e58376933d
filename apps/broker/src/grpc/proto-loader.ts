import { loadSync, Options, ServiceDefinition } from '@grpc/proto-loader';
import { dirname, join } from 'node:path';

/** The service this broker serves, as its proto file names it. */
export const MESSAGING_SERVICE_NAME = 'apache.rocketmq.v2.MessagingService';

/**
 * How the protos are turned into JavaScript objects; every handler and messaging.types.ts rely on
 * these choices:
 * - `keepCase: false`: fields are camelCase (`systemProperties`, `messageQueue`);
 * - `longs: Number`: int64 offsets and timestamps are numbers (they stay below 2^53);
 * - `enums: String`: enums are their names (`'TOPIC_NOT_FOUND'`); a value the proto does not
 *   define arrives as its number;
 * - `defaults: false`: a field the peer did not send is `undefined`, so presence is visible and a
 *   malformed request is seen as such instead of as zeros;
 * - `oneofs: true`: a oneof also carries the name of its set field (`content: 'status'`).
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
};

/** The directory holding `apache/rocketmq/v2/*.proto` inside the official Node client package. */
export function rocketmqProtoDir(): string {
  // The protos are read from the installed official client so the wire format is exactly the one
  // the clients are built from; they are never copied into this repository.
  return join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
}

let cached: ServiceDefinition | undefined;

/**
 * The `apache.rocketmq.v2.MessagingService` definition (method paths, serializers), loaded once
 * per process from the official client's proto files.
 */
export function loadMessagingService(): ServiceDefinition {
  if (cached) return cached;
  const definition = loadSync('apache/rocketmq/v2/service.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [rocketmqProtoDir()] });
  const service = definition[MESSAGING_SERVICE_NAME];
  if (!service || !('SendMessage' in service)) {
    throw new Error(`${MESSAGING_SERVICE_NAME} is missing from the rocketmq-client-nodejs protos`);
  }
  cached = service;
  return cached;
}
