/**
 * A payload that is already a message body: the serializer is skipped, the bytes are sent as they
 * are, and `contentType` (when given) is recorded as the serializer would have recorded it. For
 * code that stores encoded messages and sends them later, such as the outbox relay: it sends the
 * bytes the writer encoded instead of decoding and encoding them again.
 */
export class MqEncodedBody {
  constructor(
    readonly body: Buffer,
    /** The content type the encoding serializer named (`mq-content-type`), if any. */
    readonly contentType?: string,
  ) {}
}
