/**
 * Client side of the broker benchmark: raw v2 gRPC calls (the project's proto loader) for batched
 * sends and receive + ack, measurement helpers
 * (CPU of both processes, percentiles), and the 1 KiB message bodies.
 */
import { MethodDefinition } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { AckMessageResponse, Message, ReceiveMessageRequest, ReceiveMessageResponse, SendMessageResponse } from '../src/grpc/messaging.types';
import { loadMessagingService } from '../src/grpc/proto-loader';
import { RawTransport, rawTransport, RawTransportKind } from './broker-bench-transport';

export const BODY_BYTES = 1024;

/** Builds proto `Message`s for raw SendMessage: 1 KiB body, one tag, a unique id, queues round-robin. */
export class ProtoMessageFactory {
  private readonly body = randomBytes(BODY_BYTES);
  private readonly idPrefix = randomBytes(8).toString('hex').toUpperCase();
  private counter = 0;

  constructor(
    readonly topic: string,
    readonly queueCount: number,
  ) {}

  next(): Message {
    const n = this.counter++;
    const nowMs = Date.now();
    return {
      topic: { name: this.topic },
      body: this.body,
      userProperties: {},
      systemProperties: {
        messageId: this.idPrefix + n.toString(16).padStart(16, '0'),
        queueId: n % this.queueCount,
        tag: 'TagA',
        keys: ['order-' + n],
        bornTimestamp: { seconds: Math.floor(nowMs / 1000), nanos: (nowMs % 1000) * 1e6 },
        bornHost: '127.0.0.1',
        messageType: 'NORMAL',
        bodyEncoding: 'IDENTITY',
      },
    };
  }

  batch(size: number): Message[] {
    const messages = new Array<Message>(size);
    for (let i = 0; i < size; i++) messages[i] = this.next();
    return messages;
  }
}

/**
 * Raw v2 calls the benchmark makes (plain objects through the broker's own proto loader, like
 * test/support/raw-messaging-client.ts); every failure status throws. The transport is grpc-js
 * unless `transport: 'http2'` (broker-bench-transport.ts): with grpc-js, clients share one HTTP/2
 * connection per target, as grpc-js does by default, unless `ownConnection` is set; with node:http2
 * every client has its own.
 */
export class RawBenchClient {
  private readonly transport: RawTransport;
  private readonly service = loadMessagingService();
  private readonly headers: Readonly<Record<string, string>> = {
    'x-mq-client-id': `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    'x-mq-protocol': 'v2',
  };

  constructor(endpoint: string, options: { ownConnection?: boolean; transport?: RawTransportKind } = {}) {
    this.transport = rawTransport(options.transport ?? 'grpc-js', endpoint, options.ownConnection ?? false);
  }

  private async unary<Response>(method: string, request: object, deadlineMs = 30_000): Promise<Response> {
    const definition = this.service[method] as MethodDefinition<object, object>;
    const response = await this.transport.unary(definition.path, definition.requestSerialize(request), this.headers, deadlineMs);
    return definition.responseDeserialize(response) as Response;
  }

  /** One SendMessage with all `messages` (one topic); resolves with how many were stored. */
  async send(messages: Message[]): Promise<number> {
    const response = await this.unary<SendMessageResponse>('SendMessage', { messages });
    if (response.status.code !== 'OK') throw new Error(`SendMessage: ${JSON.stringify(response.status)}`);
    return response.entries?.length ?? 0;
  }

  /** One ReceiveMessage; resolves with the messages (none when the long poll ended empty or was cancelled). */
  async receive(topic: string, group: string, batchSize: number, longPollingMs: number): Promise<Message[]> {
    const request: ReceiveMessageRequest = {
      group: { name: group },
      messageQueue: { topic: { name: topic }, id: 0, broker: { name: 'broker-a' } },
      filterExpression: { type: 'TAG', expression: '*' },
      batchSize,
      invisibleDuration: { seconds: 60 },
      autoRenew: false,
      longPollingTimeout: { seconds: Math.floor(longPollingMs / 1000), nanos: (longPollingMs % 1000) * 1e6 },
    };
    const definition = this.service.ReceiveMessage as MethodDefinition<object, object>;
    const frames = await this.transport.serverStream(definition.path, definition.requestSerialize(request), this.headers, longPollingMs + 5_000);
    const messages: Message[] = [];
    let status: { code: string; message?: string } | undefined;
    for (const bytes of frames) {
      const frame = definition.responseDeserialize(bytes) as ReceiveMessageResponse;
      if ('status' in frame) status = frame.status;
      else if ('message' in frame) messages.push(frame.message);
    }
    // No frames at all: the receive was cancelled (cancelReceives).
    if (frames.length === 0 || status?.code === 'OK' || status?.code === 'MESSAGE_NOT_FOUND') return messages;
    throw new Error(`ReceiveMessage: ${JSON.stringify(status)}`);
  }

  /** One AckMessage for all `messages`; resolves with how many were acknowledged. */
  async ack(topic: string, group: string, messages: Message[]): Promise<number> {
    const entries = messages.map((m) => ({ messageId: m.systemProperties!.messageId, receiptHandle: m.systemProperties!.receiptHandle }));
    const response = await this.unary<AckMessageResponse>('AckMessage', { group: { name: group }, topic: { name: topic }, entries });
    if (response.status.code !== 'OK') throw new Error(`AckMessage: ${JSON.stringify(response.status)}`);
    return entries.length;
  }

  /** Cancels the receives still waiting (their long polls end at once on the broker). */
  cancelReceives(): void {
    this.transport.cancelStreams();
  }

  close(): void {
    this.transport.close();
  }
}

/** How long an official client may take to start (route query + Settings over Telemetry). */
export const CLIENT_START_TIMEOUT_MS = 30_000;
