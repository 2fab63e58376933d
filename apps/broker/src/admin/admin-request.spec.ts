import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { bodyObject, optionalInteger, parseMax, parseTimestamp, required, requireString } from './admin-request';

describe('admin request parsing', () => {
  it('parses max with a default of 32 and a limit of 1024', () => {
    expect(parseMax(undefined)).toBe(32);
    expect(parseMax('')).toBe(32);
    expect(parseMax('1')).toBe(1);
    expect(parseMax('1024')).toBe(1024);
    for (const bad of ['0', '1025', '-1', '1.5', 'ten']) expect(() => parseMax(bad)).toThrow(BadRequestException);
  });

  it('parses timestamps as milliseconds, digit strings, ISO 8601 dates or "now"', () => {
    expect(parseTimestamp('now', 42)).toBe(42);
    expect(parseTimestamp(1700000000000, 42)).toBe(1700000000000);
    expect(parseTimestamp('1700000000000', 42)).toBe(1700000000000);
    expect(parseTimestamp('2023-11-14', 42)).toBe(Date.UTC(2023, 10, 14));
    expect(parseTimestamp('2023-11-14T22:13:20Z', 42)).toBe(1700000000000);
    expect(parseTimestamp('2023-11-14T23:13:20.000+01:00', 42)).toBe(1700000000000);
    const bad = [-1, 1.5, 'yesterday', null, {}, '99999999999999999999', '2023-11-14T22:13:20', '2023-13-45', '1969-12-31'];
    for (const value of bad) expect(() => parseTimestamp(value, 42)).toThrow(BadRequestException);
  });

  it('accepts only JSON objects as bodies, treating no body as empty', () => {
    expect(bodyObject(undefined)).toEqual({});
    expect(bodyObject({ a: 1 })).toEqual({ a: 1 });
    expect(() => bodyObject([1])).toThrow(BadRequestException);
    expect(() => bodyObject('text')).toThrow(BadRequestException);
  });

  it('reads required strings and optional integers', () => {
    expect(requireString({ topic: 't' }, 'topic')).toBe('t');
    expect(() => requireString({ topic: '' }, 'topic')).toThrow('topic is required');
    expect(optionalInteger({}, 'perm')).toBeUndefined();
    expect(optionalInteger({ perm: 6 }, 'perm')).toBe(6);
    expect(optionalInteger({ perm: '4' }, 'perm')).toBe(4);
    expect(() => optionalInteger({ perm: 'rw' }, 'perm')).toThrow('perm must be an integer');
  });

  it('answers 503 for a broker part that is not wired', () => {
    expect(required(1, 'x')).toBe(1);
    expect(() => required(undefined, 'delivery engine')).toThrow(ServiceUnavailableException);
  });
});
