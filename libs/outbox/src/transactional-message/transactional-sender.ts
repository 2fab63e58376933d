import { Inject, Injectable } from '@nestjs/common';
import { MqSendOptions, MqTransactionProducer, MqTransactionResolution } from '@app/mq';
import { ResolvedOutboxOptions } from '../outbox.defaults';
import { OUTBOX_MODULE_OPTIONS } from '../outbox.module-definition';
import { endHalfMessage, sendHalfMessage } from './send-half-message';
import { TransactionListenerExplorer } from './transaction-listener.explorer';

/** What sendInTransaction() reports. */
export interface TransactionSendResult {
  readonly messageId: string;
  readonly transactionId: string;
  /** What `execute` answered; UNKNOWN leaves the decision to the check-back. */
  readonly resolution: MqTransactionResolution;
}

/**
 * `sendInTransaction(topic, payload, arg)`: the explicit transaction of a @TransactionListener
 * (RocketMQTemplate.sendMessageInTransaction's counterpart). Sends the half message (broker
 * unreachable: OUTBOX_ERR_BROKER_UNAVAILABLE and `execute` is not called), calls the topic's
 * listener `execute(message, arg)` and ends the transaction as it answers. When `execute`
 * throws, the error is rethrown and the transaction left to the check-back, as RocketMQ does:
 * only the listener's `check` knows what `execute` finished before it threw.
 */
@Injectable()
export class TransactionalSender {
  constructor(
    private readonly producer: MqTransactionProducer,
    private readonly listeners: TransactionListenerExplorer,
    @Inject(OUTBOX_MODULE_OPTIONS) private readonly options: ResolvedOutboxOptions,
  ) {}

  async sendInTransaction<T, Arg = unknown>(topic: string, payload: T, arg: Arg, options: MqSendOptions = {}): Promise<TransactionSendResult> {
    const listener = this.listeners.listenerOf(topic);
    const half = await sendHalfMessage(this.producer, topic, payload, options);
    const resolution = await listener.execute({ topic, messageId: half.messageId, transactionId: half.transactionId, payload }, arg);
    if (resolution === 'COMMIT' || resolution === 'ROLLBACK') await endHalfMessage(half, resolution, this.options.logger);
    return { messageId: half.messageId, transactionId: half.transactionId, resolution };
  }
}
