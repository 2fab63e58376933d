import { MessageOptions } from 'rocketmq-client-nodejs';
import { OfficialProducer } from '../official-clients';

/** A stored half message and the EndTransaction that settles it. Errors are the official client's kinds (map-client-error.ts maps both wires). */
export interface WireHalf {
  messageId: string;
  transactionId: string;
  end(resolution: 'COMMIT' | 'ROLLBACK'): Promise<void>;
}

/** How MqTransactionProducer's two calls go (`producer.transactionWire`): http2-transaction-wire.ts, or the official client's own. */
export interface TransactionWire {
  sendHalf(message: MessageOptions): Promise<WireHalf>;
  close(): void;
}

/** `'official'`: `beginTransaction()` + `send(message, transaction)`, ended by the transaction's commit() / rollback(). */
export class OfficialTransactionWire implements TransactionWire {
  constructor(private readonly producer: OfficialProducer) {}

  async sendHalf(message: MessageOptions): Promise<WireHalf> {
    const transaction = this.producer.beginTransaction();
    const { messageId, transactionId } = await this.producer.send(message, transaction);
    return { messageId, transactionId, end: (resolution) => (resolution === 'COMMIT' ? transaction.commit() : transaction.rollback()) };
  }

  close(): void {}
}
