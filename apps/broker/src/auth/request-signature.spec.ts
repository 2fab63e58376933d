import { parseAuthorization, parseRequestDateTime, requestSignature, signatureMatches } from './request-signature';

describe('request signature', () => {
  const dateTime = '20261204T130000Z';
  const signature = requestSignature('12345678', dateTime);

  it('parses the official client header, signature as hex in any case', () => {
    const header = `MQv2-HMAC-SHA1 Credential=rocketmq, SignedHeaders=x-mq-date-time, Signature=${signature.toString('hex').toUpperCase()}`;
    const parsed = parseAuthorization(header, dateTime);
    expect(parsed).toMatchObject({ kind: 'signed', accessKey: 'rocketmq', dateTime });
    expect(parsed.kind === 'signed' && signatureMatches(signature, parsed.signature)).toBe(true);
  });

  it("takes the credential's first segment as the user (Apache: Credential=<ak>/<scope>)", () => {
    expect(parseAuthorization(`MQv2-HMAC-SHA1 Credential=ak/region/x, Signature=${signature.toString('hex')}`, dateTime)).toMatchObject({ accessKey: 'ak' });
  });

  it("names what is wrong with Apache's messages", () => {
    expect(parseAuthorization('', dateTime)).toEqual({ kind: 'absent' });
    expect(parseAuthorization('MQv2-HMAC-SHA1 Credential=a, Signature=00', '')).toEqual({ kind: 'malformed', reason: 'datetime is null.' });
    expect(parseAuthorization('garbage', dateTime)).toEqual({ kind: 'malformed', reason: 'authentication header is incorrect.' });
    expect(parseAuthorization('MQv2-HMAC-SHA1 Credential', dateTime)).toMatchObject({ kind: 'malformed' });
    expect(parseAuthorization('MQv2-HMAC-SHA1 Signature=00', dateTime)).toEqual({ kind: 'malformed', reason: 'username cannot be null.' });
    expect(parseAuthorization('MQv2-HMAC-SHA1 Credential=a, Signature=xyz', dateTime)).toMatchObject({ kind: 'malformed' });
  });

  it('compares signatures of any length without throwing', () => {
    expect(signatureMatches(signature, signature.subarray(0, 10))).toBe(false);
    expect(signatureMatches(signature, requestSignature('other', dateTime))).toBe(false);
  });

  it('reads x-mq-date-time as UTC and refuses what is not a date', () => {
    expect(parseRequestDateTime('20261204T130000Z')).toBe(Date.UTC(2026, 11, 4, 13, 0, 0));
    expect(parseRequestDateTime('20260230T000000Z')).toBeUndefined();
    expect(parseRequestDateTime('2026-12-04T13:00:00Z')).toBeUndefined();
    expect(parseRequestDateTime('20261204T250000Z')).toBeUndefined();
  });
});
