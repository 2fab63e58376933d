import { LoggerService } from '@nestjs/common';
import { MqError, MqHalfMessage, MqSendOptions, MqTransactionProducer } from '@app/mq';
import { OutboxError } from '../outbox.errors';

/**
 * Sends a half message, turning libs/mq's errors into this package's: an unreachable or stopped
 * producer is OUTBOX_ERR_BROKER_UNAVAILABLE, any other refusal OUTBOX_ERR_HALF_SEND_FAILED.
 */
export async function sendHalfMessage(producer: MqTransactionProducer, topic: string, payload: unknown, options: MqSendOptions): Promise<MqHalfMessage> {
  try {
    return await producer.sendHalf(topic, payload, options);
  } catch (error) {
    if (isBrokerUnreachable(error)) throw brokerUnavailable(topic, 'the half message could not be sent', error);
    throw new OutboxError(
      'OUTBOX_ERR_HALF_SEND_FAILED',
      `the broker refused the half message for ${topic}: ${(error as Error).message}`,
      { topic },
      { cause: error },
    );
  }
}

/** EndTransaction; a failure is logged, never thrown: the broker's check-back decides then. */
export async function endHalfMessage(half: MqHalfMessage, resolution: 'COMMIT' | 'ROLLBACK', logger: LoggerService): Promise<void> {
  try {
    await (resolution === 'COMMIT' ? half.commit() : half.rollback());
  } catch (error) {
    logger.warn(`EndTransaction(${resolution}) of ${half.topic}/${half.messageId} failed; the check-back will decide: ${(error as Error).message}`);
  }
}

/**
 * The preflight before a @TransactionalMessage method runs: with the broker known to be
 * unreachable the method is not run at all (OUTBOX_ERR_BROKER_UNAVAILABLE), so it starts no
 * local work that would only be rolled back.
 */
export async function ensureBrokerReachable(producer: MqTransactionProducer, topic: string): Promise<void> {
  try {
    await producer.ensureReachable(topic);
  } catch (error) {
    throw isBrokerUnreachable(error) ? brokerUnavailable(topic, 'the method was not run', error) : error;
  }
}

/** The broker cannot be reached or the producer is not running: a wait, not a refusal (the relay backs off on it too). */
export function isBrokerUnreachable(error: unknown): boolean {
  const code = error instanceof MqError ? error.code : undefined;
  return code === 'MQ_ERR_BROKER_UNAVAILABLE' || code === 'MQ_ERR_NOT_RUNNING';
}

function brokerUnavailable(topic: string, what: string, cause: unknown): OutboxError {
  return new OutboxError('OUTBOX_ERR_BROKER_UNAVAILABLE', `the broker is unreachable for ${topic}: ${what}`, { topic }, { cause });
}
