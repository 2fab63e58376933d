import { dirname, join } from 'node:path';
import * as protobuf from 'protobufjs';

/** The protobufjs types of the transactional calls, reflected from the protos the official client ships. */
export interface TransactionCodecs {
  sendMessageRequest: protobuf.Type;
  sendMessageResponse: protobuf.Type;
  endTransactionRequest: protobuf.Type;
  endTransactionResponse: protobuf.Type;
}

/** A status as the messaging protos carry it: `Code`'s number and the broker's text. */
export interface WireStatus {
  code: number;
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

let cached: TransactionCodecs | undefined;

/**
 * The codecs, loaded once per process from `rocketmq-client-nodejs/proto` (never copied into this
 * repository): `encode` and `decode` work on plain objects and message instances directly, with no
 * google-protobuf builders and no per-call `toObject`.
 */
export function transactionCodecs(): TransactionCodecs {
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
  };
  return cached;
}
