import { loadSync } from '@grpc/proto-loader';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { StoreState } from '../store/message-store';
import { TopicConfigError } from '../topics/topic-config.errors';
import { rocketmqProtoDir } from './proto-loader';
import {
  appendFailureStatus,
  batchStatus,
  CODE_NUMBERS,
  endTransactionStatus,
  errorStatus,
  pullFailureStatus,
  receiptStatus,
  receiveFailureStatus,
  status,
  Statuses,
} from './status-codes';

/** A pino logger whose lines are collected, to count what was logged. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('status codes', () => {
  it('names every code with the number apache.rocketmq.v2.Code gives it', () => {
    const definition = loadSync('apache/rocketmq/v2/definition.proto', { includeDirs: [rocketmqProtoDir()] });
    const enumType = definition['apache.rocketmq.v2.Code'] as unknown as { type: { value: Array<{ name: string; number: number }> } };
    const proto = new Map(enumType.type.value.map((value) => [value.name, value.number]));
    for (const [name, number] of Object.entries(CODE_NUMBERS)) expect([name, proto.get(name)]).toEqual([name, number]);
  });

  it('uses the code name as the message when none is given, as the proxy does', () => {
    expect(status('OK')).toEqual({ code: 'OK', message: 'OK' });
    expect(status('TOPIC_NOT_FOUND', 'x')).toEqual({ code: 'TOPIC_NOT_FOUND', message: 'x' });
  });

  it('gives the proxy texts for the common refusals', () => {
    expect(Statuses.topicNotFound('T')).toEqual({ code: 'TOPIC_NOT_FOUND', message: 'No topic route info in name server for the topic: T' });
    expect(Statuses.messageBodyTooLarge(4)).toEqual({ code: 'MESSAGE_BODY_TOO_LARGE', message: 'message body cannot exceed the max 4' });
    expect(Statuses.messageTypeConflict('NORMAL', 'FIFO')).toEqual({
      code: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      message: 'TopicMessageType validate failed, the expected type is NORMAL, but actual type is FIFO',
    });
    expect(Statuses.clientIdRequired()).toEqual({ code: 'CLIENT_ID_REQUIRED', message: 'client id cannot be empty' });
    expect(Statuses.topicNotWritable()).toEqual({ code: 'FORBIDDEN', message: 'no writable queue' });
    expect(Statuses.noNewMessage()).toEqual({ code: 'MESSAGE_NOT_FOUND', message: 'no new message' });
    expect(Statuses.transactionIdEmpty()).toEqual({ code: 'INVALID_TRANSACTION_ID', message: 'transaction id cannot be empty' });
    expect(Statuses.transactionRecoveryTooLong(3600)).toEqual({
      code: 'BAD_REQUEST',
      message: 'the max transaction recovery time of message is too large, max is 3600',
    });
    expect(Statuses.transactionalBatch()).toEqual({ code: 'BAD_REQUEST', message: 'transactional messages cannot be sent in a batch' });
    expect(Statuses.transactionalGroupOrDelay().code).toBe('BAD_REQUEST');
  });

  it.each([
    [{ status: 'ok', duplicate: false } as const, 'OK'],
    [{ status: 'ok', duplicate: true } as const, 'OK'],
    [{ status: 'not-found', reason: 'unknown transaction T' } as const, 'INVALID_TRANSACTION_ID'],
    [{ status: 'conflict', reason: 'already rolled back', state: 'rolled-back' } as const, 'BAD_REQUEST'],
    [{ status: 'conflict', reason: 'given up after 15 checks', state: 'check-max' } as const, 'BAD_REQUEST'],
    [{ status: 'mismatch', reason: 'T belongs to message M1' } as const, 'ILLEGAL_MESSAGE_ID'],
    [{ status: 'store-failed', reason: 'EIO' } as const, 'INTERNAL_SERVER_ERROR'],
    [{ status: 'not-running', reason: 'closed' } as const, 'INTERNAL_SERVER_ERROR'],
  ])('maps the end-transaction outcome %o onto %s', (result, code) => {
    const answered = endTransactionStatus(result);
    expect(answered.code).toBe(code);
    if (result.status !== 'ok') expect(answered.message).toContain(result.reason);
    else expect(answered.message).toBe('OK');
  });

  it('names the final state when it refuses the opposite resolution', () => {
    expect(endTransactionStatus({ status: 'conflict', reason: 'COMMIT after ROLLBACK', state: 'rolled-back' }).message).toBe(
      'COMMIT after ROLLBACK (state: rolled-back)',
    );
  });

  it.each([
    [{ status: 'message-too-large', sizeBytes: 9, maxBytes: 8 } as const, 'MESSAGE_BODY_TOO_LARGE'],
    [{ status: 'batch-too-large', sizeBytes: 9, maxBytes: 8 } as const, 'PAYLOAD_TOO_LARGE'],
    [{ status: 'invalid', reason: 'bad property' } as const, 'BAD_REQUEST'],
    [{ status: 'not-running', state: StoreState.ShuttingDown } as const, 'INTERNAL_SERVER_ERROR'],
    [{ status: 'store-failed', reason: 'EIO' } as const, 'INTERNAL_SERVER_ERROR'],
  ])('maps the append outcome %o onto %s', (result, code) => {
    expect(appendFailureStatus(result, 1024).code).toBe(code);
  });

  it.each([
    [{ status: 'ok' } as const, 'OK'],
    [{ status: 'invalid-receipt-handle', reason: 'receipt handle is expired' } as const, 'INVALID_RECEIPT_HANDLE'],
    [{ status: 'topic-not-found' } as const, 'TOPIC_NOT_FOUND'],
    [{ status: 'illegal-invisible-time', reason: 'too large' } as const, 'ILLEGAL_INVISIBLE_TIME'],
    [{ status: 'internal-error', reason: 'append failed' } as const, 'INTERNAL_SERVER_ERROR'],
  ])('maps the receipt outcome %o onto %s', (result, code) => {
    expect(receiptStatus(result, 't').code).toBe(code);
  });

  it.each([
    [{ status: 'topic-not-found' } as const, 'TOPIC_NOT_FOUND'],
    [{ status: 'illegal-filter', reason: 'x' } as const, 'ILLEGAL_FILTER_EXPRESSION'],
    [{ status: 'bad-request', reason: 'x' } as const, 'BAD_REQUEST'],
    [{ status: 'illegal-invisible-time', reason: 'x' } as const, 'ILLEGAL_INVISIBLE_TIME'],
    [{ status: 'consumer-group-not-found', reason: 'x' } as const, 'CONSUMER_GROUP_NOT_FOUND'],
    [{ status: 'polling-full', reason: 'x' } as const, 'TOO_MANY_REQUESTS'],
  ])('maps the receive outcome %o onto %s', (result, code) => {
    expect(receiveFailureStatus(result, 't').code).toBe(code);
  });

  it('answers the busy refusals with TOO_MANY_REQUESTS and the proxy texts, which clients retry', () => {
    expect(receiveFailureStatus({ status: 'polling-full', reason: 'limit 2' }, 't')).toEqual({ code: 'TOO_MANY_REQUESTS', message: 'polling full' });
    expect(Statuses.flowLimit()).toEqual({ code: 'TOO_MANY_REQUESTS', message: 'flow limit' });
  });

  it.each([
    [{ status: 'offset-out-of-range', minOffset: 0, maxOffset: 3 } as const, 'ILLEGAL_OFFSET'],
    [{ status: 'topic-not-found' } as const, 'TOPIC_NOT_FOUND'],
    [{ status: 'illegal-filter', reason: 'x' } as const, 'ILLEGAL_FILTER_EXPRESSION'],
  ])('maps the pull outcome %o onto %s', (result, code) => {
    expect(pullFailureStatus(result, 't').code).toBe(code);
  });

  it('gives a batch its common code, MULTIPLE_RESULTS when entries differ', () => {
    expect(batchStatus([status('OK'), status('OK')])).toEqual(status('OK'));
    expect(batchStatus([status('OK'), status('INVALID_RECEIPT_HANDLE', 'x')])).toEqual(status('MULTIPLE_RESULTS'));
    expect(batchStatus([]).code).toBe('BAD_REQUEST');
  });

  it('maps typed configuration errors onto their codes without logging them', () => {
    const { logger, lines } = capturingLogger();
    expect(errorStatus(TopicConfigError.invalidTopic('x y', 'bad name'), logger, 'SendMessage')).toEqual({ code: 'ILLEGAL_TOPIC', message: 'bad name' });
    expect(errorStatus(TopicConfigError.invalidGroup('g', 'bad group'), logger, 'AckMessage').code).toBe('ILLEGAL_CONSUMER_GROUP');
    expect(lines).toEqual([]);
  });

  it('turns any other error into INTERNAL_SERVER_ERROR and logs it once', () => {
    const { logger, lines } = capturingLogger();
    const result = errorStatus(new TypeError('boom'), logger, 'SendMessage');
    expect(result).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'TypeError: boom' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, rpc: 'SendMessage', msg: 'internal server error', err: { message: 'boom' } });
    expect(errorStatus('not even an Error', logger, 'Heartbeat')).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'not even an Error' });
  });
});
