/**
 * Turns payloads into message bodies and back. The default JsonSerializer writes JSON and passes
 * Buffers through untouched in both directions.
 */
export interface MqSerializer {
  serialize(payload: unknown): Buffer;
  deserialize(body: Buffer, message: { topic: string; properties: Readonly<Record<string, string>> }): unknown;
  /**
   * Optional: the encoding `serialize` used for this payload. The producer records it beside the
   * body (CONTENT_TYPE_PROPERTY) and `deserialize` reads it back; toMqMessage leaves it out of
   * MqMessage.properties.
   */
  contentTypeOf?(payload: unknown): string | undefined;
}
