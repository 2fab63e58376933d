import { ClientProxy, MsPattern, OutgoingEvent, ReadPacket, WritePacket } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { resolveMqOptions } from './mq.defaults';
import { MqError } from './mq.errors';
import { MqModuleOptions } from './mq.options';
import { MqProducer } from './mq.producer';
import { MqSendOptions, MqSendReceipt } from './mq-message';

/** A payload with send options, for `client.emit(topic, new MqRecord(payload, { tag, keys }))`. */
export class MqRecord<T = unknown> {
  constructor(
    readonly payload: T,
    readonly options: MqSendOptions = {},
  ) {}
}

/** Either the module's options (the client owns a producer) or a producer to share (MqModule's). */
export type ClientRocketMQOptions = MqModuleOptions | { producer: MqProducer };

/**
 * The @nestjs/microservices client of the RocketMQ transport (STYLE 14): `emit(topic, payload)`
 * sends the payload to the topic with the same machinery as MqProducer (serializer, batching,
 * error codes) and emits the receipt. Request/response (`send()`) is not offered: RocketMQ has no
 * reply channel here, so it fails with MQ_ERR_REQUEST_REPLY_UNSUPPORTED.
 */
export class ClientRocketMQ extends ClientProxy {
  private readonly producer: MqProducer;
  private readonly ownsProducer: boolean;

  constructor(options: ClientRocketMQOptions) {
    super();
    // Nest's packet serializer (identity): the payload is serialized once, by the module's MqSerializer.
    this.initializeSerializer({});
    if ('producer' in options && options.producer instanceof MqProducer) {
      this.producer = options.producer;
      this.ownsProducer = false;
    } else {
      this.producer = new MqProducer(resolveMqOptions(options as MqModuleOptions));
      this.ownsProducer = true;
    }
  }

  async connect(): Promise<void> {
    await this.producer.start();
  }

  async close(): Promise<void> {
    if (this.ownsProducer) await this.producer.stop();
  }

  /** The official client's producer underneath (started by connect()). */
  unwrap<T>(): T {
    const client = this.producer.officialProducer();
    if (!client) throw new MqError('MQ_ERR_NOT_RUNNING', 'ClientRocketMQ is not connected: call connect() first');
    return client as T;
  }

  override send<TResult = unknown, TInput = unknown>(pattern: unknown, _data: TInput): Observable<TResult> {
    return throwError(() => requestReplyUnsupported(pattern));
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: requestReplyUnsupported(packet.pattern), isDisposed: true });
    return () => undefined;
  }

  protected async dispatchEvent<T = MqSendReceipt>(packet: ReadPacket<unknown>): Promise<T> {
    const topic = this.normalizePattern(packet.pattern as MsPattern);
    // Nest types the serializer's input as a whole packet; ClientProxy passes it the payload (the identity here).
    const data: unknown = this.serializer.serialize(packet.data as OutgoingEvent);
    const receipt = data instanceof MqRecord ? await this.producer.send(topic, data.payload, data.options) : await this.producer.send(topic, data);
    return receipt as T;
  }
}

function requestReplyUnsupported(pattern: unknown): MqError {
  return new MqError(
    'MQ_ERR_REQUEST_REPLY_UNSUPPORTED',
    'RocketMQ transport: request/response (send / @MessagePattern) is not supported; use emit / @EventPattern',
    {
      pattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
    },
  );
}
