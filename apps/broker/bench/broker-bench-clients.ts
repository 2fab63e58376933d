/**
 * Client side of the broker benchmark: raw v2 gRPC calls (the project's proto loader) for batched
 * sends and receive + ack, measurement helpers
 * (CPU of both processes, percentiles), and the 1 KiB message bodies.
 */
import { Client, ClientReadableStream, credentials, Metadata, MethodDefinition } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { AckMessageResponse, Message, ReceiveMessageRequest, ReceiveMessageResponse, SendMessageResponse } from '../src/grpc/messaging.types';
import { loadMessagingService } from '../src/grpc/proto-loader';

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
 * test/support/raw-messaging-client.ts); every failure status throws. Clients share one HTTP/2
 * connection per target, as grpc-js does by default, unless `ownConnection` is set.
 */
export class RawBenchClient {
  private readonly client: Client;
  private readonly service = loadMessagingService();
  private readonly clientId = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly streams = new Set<ClientReadableStream<object>>();

  constructor(endpoint: string, options: { ownConnection?: boolean } = {}) {
    this.client = new Client(endpoint, credentials.createInsecure(), options.ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {});
  }

  private unary<Response>(method: string, request: object, deadlineMs = 30_000): Promise<Response> {
    const definition = this.service[method] as MethodDefinition<object, object>;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        this.metadata(),
        { deadline: Date.now() + deadlineMs },
        (error, response) => (error ? reject(error) : resolve(response as Response)),
      );
    });
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    metadata.set('x-mq-client-id', this.clientId);
    metadata.set('x-mq-protocol', 'v2');
    return metadata;
  }

  /** One SendMessage with all `messages` (one topic); resolves with how many were stored. */
  async send(messages: Message[]): Promise<number> {
    const response = await this.unary<SendMessageResponse>('SendMessage', { messages });
    if (response.status.code !== 'OK') throw new Error(`SendMessage: ${JSON.stringify(response.status)}`);
    return response.entries?.length ?? 0;
  }

  /** One ReceiveMessage; resolves with the messages (none when the long poll ended empty). */
  receive(topic: string, group: string, batchSize: number, longPollingMs: number): Promise<Message[]> {
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
    const call = this.client.makeServerStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, request, this.metadata(), {
      deadline: Date.now() + longPollingMs + 5_000,
    });
    this.streams.add(call);
    return new Promise((resolve, reject) => {
      const messages: Message[] = [];
      let status: { code: string; message?: string } | undefined;
      call.on('data', (frame: ReceiveMessageResponse) => {
        if ('status' in frame) status = frame.status;
        else if ('message' in frame) messages.push(frame.message);
      });
      call.on('error', (error: Error & { code?: number }) => {
        this.streams.delete(call);
        // 1 = CANCELLED: cancelled by cancelReceives() at the end of a drain.
        if (error.code === 1) resolve([]);
        else reject(error);
      });
      call.on('end', () => {
        this.streams.delete(call);
        if (status?.code === 'OK' || status?.code === 'MESSAGE_NOT_FOUND') resolve(messages);
        else reject(new Error(`ReceiveMessage: ${JSON.stringify(status)}`));
      });
    });
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
    for (const call of this.streams) call.cancel();
    this.streams.clear();
  }

  close(): void {
    this.cancelReceives();
    this.client.close();
  }
}

/** How long an official client may take to start (route query + Settings over Telemetry). */
export const CLIENT_START_TIMEOUT_MS = 30_000;
