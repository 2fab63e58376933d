import { nextStep, parseRetryAfter, type RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { ladderMs: [15_000, 180_000], jitterRatio: 0.2, overloadedMinDelayMs: 60_000, retryAfterMaxMs: 6 * 3_600_000 };

describe('nextStep', () => {
  it('delivers on 2xx only; 3xx, 4xx, 5xx and no answer retry on the ladder with jitter', () => {
    expect(nextStep({ statusCode: 204, timedOut: false }, 1, false, policy)).toEqual({ action: 'delivered' });
    for (const statusCode of [301, 400, 500, undefined]) {
      expect(nextStep({ statusCode, timedOut: false }, 2, false, policy, () => 0)).toEqual({ action: 'retry', delayMs: 144_000, disableEndpoint: false });
      expect(nextStep({ statusCode, timedOut: false }, 2, false, policy, () => 0.999999)).toMatchObject({ delayMs: 216_000 });
    }
  });

  it('fails after the last step, and after a failed manual attempt', () => {
    expect(nextStep({ statusCode: 500, timedOut: false }, 3, false, policy)).toEqual({ action: 'failed', disableEndpoint: false });
    expect(nextStep({ statusCode: 500, timedOut: false }, 1, true, policy)).toEqual({ action: 'failed', disableEndpoint: false });
  });

  it('waits at least 60 s after a timeout or 429/502/503/504, and honours Retry-After up to its cap', () => {
    for (const result of [
      { timedOut: true },
      { statusCode: 429, timedOut: false },
      { statusCode: 502, timedOut: false },
      { statusCode: 504, timedOut: false },
    ]) {
      expect(nextStep(result, 1, false, policy, () => 0.5)).toMatchObject({ delayMs: 60_000 });
    }
    expect(nextStep({ statusCode: 429, timedOut: false, retryAfterMs: 7_200_000 }, 1, false, policy, () => 0.5)).toMatchObject({ delayMs: 7_200_000 });
    expect(nextStep({ statusCode: 503, timedOut: false, retryAfterMs: 48 * 3_600_000 }, 1, false, policy, () => 0.5)).toMatchObject({ delayMs: 6 * 3_600_000 });
  });

  it('asks to disable the endpoint on 410', () => {
    expect(nextStep({ statusCode: 410, timedOut: false }, 1, false, policy)).toMatchObject({ action: 'retry', disableEndpoint: true });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 00:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
