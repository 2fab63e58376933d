import { MqError, MqHalfMessage, MqSendOptions, MqTransactionProducer } from '@app/mq';
import { OutboxError } from './outbox.errors';

/**
 * Sends a half message, turning libs/mq's errors into this package's: an unreachable or stopped
 * producer is OUTBOX_ERR_BROKER_UNAVAILABLE, any other refusal OUTBOX_ERR_HALF_SEND_FAILED.
 */
export async function sendHalfMessage(producer: MqTransactionProducer, topic: string, payload: unknown, options: MqSendOptions): Promise<MqHalfMessage> {
  try {
    return await producer.sendHalf(topic, payload, options);
  } catch (error) {
    const code = error instanceof MqError ? error.code : undefined;
    if (code === 'MQ_ERR_BROKER_UNAVAILABLE' || code === 'MQ_ERR_NOT_RUNNING') {
      throw new OutboxError('OUTBOX_ERR_BROKER_UNAVAILABLE', `the half message for ${topic} could not be sent: the broker is unreachable`, { topic }, { cause: error });
    }
    throw new OutboxError('OUTBOX_ERR_HALF_SEND_FAILED', `the broker refused the half message for ${topic}: ${(error as Error).message}`, { topic }, { cause: error });
  }
}
