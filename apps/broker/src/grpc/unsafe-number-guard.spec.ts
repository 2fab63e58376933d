import { loadMessagingService } from './proto-loader';
import { unsafeNumberStatus } from './status-codes';
import { findUnsafeNumber, MAX_SAFE_SECONDS } from './unsafe-number-guard';

/** Requests decoded as the server decodes them: an int64 past 2^53 arrives rounded. */
function decoded(rpc: string, request: object): unknown {
  const method = loadMessagingService()[rpc];
  return method.requestDeserialize(method.requestSerialize(request));
}

describe('findUnsafeNumber', () => {
  it('finds an int64 offset that the decoder rounded (2^53 + 1 arrives as 2^53)', () => {
    const request = decoded('UpdateOffset', { offset: '9007199254740993' });
    expect(findUnsafeNumber(request)).toEqual({ path: 'offset', value: 2 ** 53 });
    expect(unsafeNumberStatus('offset', 2 ** 53).code).toBe('ILLEGAL_OFFSET');
  });

  it('finds min int64 in a long-polling timeout (found by the fuzzer: it was clamped to the minimum and used)', () => {
    const request = decoded('ReceiveMessage', { longPollingTimeout: { seconds: '-9223372036854775808' } });
    const found = findUnsafeNumber(request);
    expect(found?.path).toBe('longPollingTimeout.seconds');
    expect(unsafeNumberStatus(found!.path, found!.value).code).toBe('ILLEGAL_POLLING_TIME');
  });

  it('finds seconds whose milliseconds are not safe, deep in a batch', () => {
    const request = decoded('SendMessage', {
      messages: [{ systemProperties: { messageId: 'a' } }, { systemProperties: { messageId: 'b', deliveryTimestamp: { seconds: MAX_SAFE_SECONDS + 2 } } }],
    });
    const found = findUnsafeNumber(request);
    expect(found?.path).toBe('messages[1].systemProperties.deliveryTimestamp.seconds');
    expect(unsafeNumberStatus(found!.path, found!.value).code).toBe('ILLEGAL_DELIVERY_TIME');
  });

  it('passes safe values, max safe integer included, and does not walk bodies', () => {
    expect(findUnsafeNumber(decoded('UpdateOffset', { offset: Number.MAX_SAFE_INTEGER }))).toBeUndefined();
    expect(findUnsafeNumber(decoded('ReceiveMessage', { invisibleDuration: { seconds: MAX_SAFE_SECONDS, nanos: 999_999_999 } }))).toBeUndefined();
    expect(findUnsafeNumber({ body: new Uint8Array(8).fill(0xff), multiplier: 1.5 })).toBeUndefined();
  });
});
