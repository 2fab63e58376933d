/**
 * Turns payloads into message bodies and back. JSON by default; a Buffer payload passes
 * through untouched in both directions when `passBuffers` is true (the default serializer's case).
 */
export interface MqSerializer {
  serialize(payload: unknown): Buffer;
  deserialize(body: Buffer, message: { topic: string; properties: Readonly<Record<string, string>> }): unknown;
}
