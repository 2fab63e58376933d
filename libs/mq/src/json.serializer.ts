import { MqError } from './mq.errors';
import { MqSerializer } from './mq-serializer';

/**
 * The user property naming how a body was encoded, so a consumer decodes a Buffer payload as the
 * bytes it was and a JSON payload as JSON. Stripped from MqMessage.properties by toMqMessage.
 */
export const CONTENT_TYPE_PROPERTY = 'mq-content-type';
export const JSON_CONTENT_TYPE = 'application/json';
export const BYTES_CONTENT_TYPE = 'application/octet-stream';

/**
 * The default serializer: JSON, with Buffers passing through untouched both ways. A body without
 * a content type (sent by another client) is parsed as JSON when it is JSON, else left as bytes.
 */
export class JsonSerializer implements MqSerializer {
  serialize(payload: unknown): Buffer {
    if (Buffer.isBuffer(payload)) return payload;
    let text: string | undefined;
    try {
      text = JSON.stringify(payload);
    } catch (error) {
      throw new MqError('MQ_ERR_SERIALIZATION', `payload cannot be serialized to JSON: ${(error as Error).message}`, {}, { cause: error });
    }
    if (text === undefined) throw new MqError('MQ_ERR_SERIALIZATION', `payload of type ${typeof payload} has no JSON form`);
    return Buffer.from(text);
  }

  deserialize(body: Buffer, message: { topic: string; properties: Readonly<Record<string, string>> }): unknown {
    const contentType = message.properties[CONTENT_TYPE_PROPERTY];
    if (contentType === BYTES_CONTENT_TYPE) return body;
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (error) {
      if (contentType === undefined) return body;
      throw new MqError('MQ_ERR_SERIALIZATION', `body of a message on ${message.topic} is not valid JSON`, { topic: message.topic }, { cause: error });
    }
  }

  /** The content type the producer records beside the body. */
  contentTypeOf(payload: unknown): string {
    return Buffer.isBuffer(payload) ? BYTES_CONTENT_TYPE : JSON_CONTENT_TYPE;
  }
}
