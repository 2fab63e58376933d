import { dirname, join } from 'node:path';
import * as protobuf from 'protobufjs';
import type { Code } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb';

/** The protobufjs types of the calls libs/mq makes on node:http2, reflected from the protos the official client ships. */
export interface WireCodecs {
  sendMessageRequest: protobuf.Type;
  sendMessageResponse: protobuf.Type;
  endTransactionRequest: protobuf.Type;
  endTransactionResponse: protobuf.Type;
  receiveMessageResponse: protobuf.Type;
  ackMessageResponse: protobuf.Type;
}

/** A status as the messaging protos carry it: `Code`'s number and the broker's text. */
export interface WireStatus {
  code: Code;
  message: string;
}

/** What this path reads of a SendMessageResponse (decoded by protobufjs; absent fields are defaults). */
export interface WireSendMessageResponse {
  status?: WireStatus;
  entries: Array<{ status?: WireStatus; messageId: string; transactionId: string }>;
}

/** What this path reads of an EndTransactionResponse. */
export interface WireEndTransactionResponse {
  status?: WireStatus;
}

/** A google.protobuf.Timestamp as protobufjs decodes it (int64 seconds as a Long or a number). */
export interface WireTimestamp {
  seconds: number | { toNumber(): number };
  nanos: number;
}

/** What the receive path reads of a Message (apache.rocketmq.v2.Message). */
export interface WireMessage {
  topic?: { name: string };
  userProperties: Record<string, string>;
  systemProperties?: {
    tag?: string;
    keys: string[];
    messageId: string;
    bodyDigest?: { type: number; checksum: string };
    bodyEncoding: number;
    messageGroup?: string;
    deliveryTimestamp?: WireTimestamp;
    bornTimestamp?: WireTimestamp;
    bornHost: string;
    deliveryAttempt?: number;
    queueOffset: number | { toNumber(): number };
    receiptHandle?: string;
    liteTopic?: string;
    priority?: number;
  };
  body: Uint8Array;
}

/** One message of a ReceiveMessage answer: exactly one of the three. */
export interface WireReceiveMessageResponse {
  status?: WireStatus;
  message?: WireMessage;
  deliveryTimestamp?: WireTimestamp;
}

/** What the ack path reads of an AckMessageResponse. */
export interface WireAckMessageResponse {
  status?: WireStatus;
  entries: Array<{ messageId: string; receiptHandle: string; status?: WireStatus }>;
}

let cached: WireCodecs | undefined;

/**
 * The codecs, loaded once per process from `rocketmq-client-nodejs/proto` (never copied into this
 * repository): `encode` and `decode` work on plain objects and message instances directly, with no
 * google-protobuf builders and no per-call `toObject`.
 */
export function wireCodecs(): WireCodecs {
  if (cached) return cached;
  const protoDir = join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
  const protobufDir = dirname(require.resolve('protobufjs/package.json'));
  const root = new protobuf.Root();
  // google/protobuf/*.proto come with protobufjs; apache/rocketmq/v2/*.proto with the official client.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? join(protobufDir, target) : join(protoDir, target));
  root.loadSync('apache/rocketmq/v2/service.proto');
  const type = (name: string): protobuf.Type => root.lookupType(`apache.rocketmq.v2.${name}`);
  cached = {
    sendMessageRequest: type('SendMessageRequest'),
    sendMessageResponse: type('SendMessageResponse'),
    endTransactionRequest: type('EndTransactionRequest'),
    endTransactionResponse: type('EndTransactionResponse'),
    receiveMessageResponse: type('ReceiveMessageResponse'),
    ackMessageResponse: type('AckMessageResponse'),
  };
  return cached;
}
