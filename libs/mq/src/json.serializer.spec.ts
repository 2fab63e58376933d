import { BYTES_CONTENT_TYPE, CONTENT_TYPE_PROPERTY, JSON_CONTENT_TYPE, JsonSerializer } from './json.serializer';

describe('JsonSerializer', () => {
  const serializer = new JsonSerializer();
  const on = (properties: Record<string, string> = {}) => ({ topic: 't', properties });

  it('writes JSON and reads it back; a Buffer passes through both ways', () => {
    expect(serializer.serialize({ a: [1, 'x'] }).toString()).toBe('{"a":[1,"x"]}');
    expect(serializer.deserialize(Buffer.from('{"a":1}'), on({ [CONTENT_TYPE_PROPERTY]: JSON_CONTENT_TYPE }))).toEqual({ a: 1 });
    const bytes = Buffer.from('{"looks":"like json"}');
    expect(serializer.serialize(bytes)).toBe(bytes);
    expect(serializer.contentTypeOf(bytes)).toBe(BYTES_CONTENT_TYPE);
    expect(serializer.deserialize(bytes, on({ [CONTENT_TYPE_PROPERTY]: BYTES_CONTENT_TYPE }))).toBe(bytes);
  });

  it('reads a body without content type as JSON when it is JSON, else as bytes', () => {
    expect(serializer.deserialize(Buffer.from('"text"'), on())).toBe('text');
    const raw = Buffer.from([0xff, 0x00]);
    expect(serializer.deserialize(raw, on())).toBe(raw);
  });

  it('fails with MQ_ERR_SERIALIZATION for what JSON cannot carry', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => serializer.serialize(circular)).toThrow(expect.objectContaining({ code: 'MQ_ERR_SERIALIZATION' }));
    expect(() => serializer.serialize(undefined)).toThrow(expect.objectContaining({ code: 'MQ_ERR_SERIALIZATION' }));
    expect(() => serializer.deserialize(Buffer.from('{'), on({ [CONTENT_TYPE_PROPERTY]: JSON_CONTENT_TYPE }))).toThrow(
      expect.objectContaining({ code: 'MQ_ERR_SERIALIZATION' }),
    );
  });
});
