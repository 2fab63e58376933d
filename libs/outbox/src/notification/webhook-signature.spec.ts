import { generateWebhookSecret, signWebhook } from './webhook-signature';
import { verifyWebhook } from './webhook-verifier';

describe('webhook signatures', () => {
  it('match the Standard Webhooks test vector', () => {
    expect(signWebhook(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verify with any current secret during rotation; a wrong secret or a changed body fails', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"type":"t","data":{"a":1}}';
    const now = new Date();
    const timestamp = Math.floor(now.getTime() / 1000);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook([newSecret, oldSecret], 'msg_1', timestamp, body),
    };
    expect(verifyWebhook(headers, body, { secrets: [oldSecret], now: () => now })).toMatchObject({ id: 'msg_1', event: 't', payload: { a: 1 } });
    expect(() => verifyWebhook(headers, body, { secrets: [generateWebhookSecret()], now: () => now })).toThrow(
      expect.objectContaining({ code: 'OUTBOX_ERR_NOTIFY_SIGNATURE_INVALID' }),
    );
    expect(() => verifyWebhook(headers, body.replace('1', '2'), { secrets: [oldSecret], now: () => now })).toThrow(
      expect.objectContaining({ code: 'OUTBOX_ERR_NOTIFY_SIGNATURE_INVALID' }),
    );
    expect(() => verifyWebhook(headers, body, { secrets: [oldSecret], now: () => new Date(now.getTime() + 301_000) })).toThrow(
      expect.objectContaining({ code: 'OUTBOX_ERR_NOTIFY_TIMESTAMP_OUT_OF_TOLERANCE' }),
    );
  });
});
